"""The `arkaden` command: it only wires the floors below (core, apps, provisioning) into sub-commands,
and holds the tools around them: the demo, the simulator, the text watcher, the dev broker and the benchmark."""
