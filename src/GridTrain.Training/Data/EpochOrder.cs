namespace GridTrain.Training.Data;

/// <summary>
/// The order in which an epoch visits the training examples: a permutation that depends only on (seed, epoch), so a
/// resumed run continues exactly where it stopped and each epoch has its own order.
/// </summary>
internal static class EpochOrder
{
    public static long[] Create(long seed, int epoch, int count)
    {
        var random = new SplitMix64((ulong)seed ^ ((ulong)(uint)epoch * 0xD1B54A32D192ED03UL));
        random.Next();
        var order = new long[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        for (var i = count - 1; i > 0; i--)
        {
            var j = random.NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}
