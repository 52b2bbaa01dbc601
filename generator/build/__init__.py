"""Building: the per-exam pipeline in worker processes with its content-addressed cache, the one
assembly of the output folder, and writing it (and the keys) atomically."""
