"""`arkaden bench`: every latency, throughput and memory figure, each measured against real processes."""
