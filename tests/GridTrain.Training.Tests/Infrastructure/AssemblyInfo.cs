// TorchSharp's RNG and thread count are process-wide, so runs in this process must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
