"""The live preview (`examsite serve`): the in-memory incremental site, its HTTP server, the
watcher, the local submission store and the preview aid."""
