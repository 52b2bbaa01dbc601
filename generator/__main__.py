from generator.cli import main

if __name__ == "__main__":  # not when a worker process started by spawn or forkserver imports it
    main(prog_name="examsite")
