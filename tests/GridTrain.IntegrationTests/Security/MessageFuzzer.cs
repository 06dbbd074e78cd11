using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// Request bytes for the fuzz test: structurally valid messages with hostile field values (built from the message
/// descriptor), byte-level mutations of them, and plain random bytes. Seeded, so a failure can be replayed.
/// </summary>
public sealed class MessageFuzzer(int seed, IReadOnlyList<string> interestingStrings)
{
    private static readonly long[] s_numbers = [0, 1, -1, 2, 7, 99, 1000, 1001, 65536, int.MaxValue, int.MinValue, long.MaxValue, long.MinValue, 1L << 40];
    private static readonly string[] s_hostile =
    [
        "", "../../etc/passwd", "/etc/shadow", "..%2f..%2fetc", "%2e%2e%2f", "..\\..\\windows", "a/../../b", "\0", "\u202e", "💥",
        "ses-", "job-", "agt-", "'; DROP TABLE gt_sessions; --", "{\"json\":1}", "gt_0123456789abcdef_" + new string('0', 64), "H100",
    ];

    private readonly Random _random = new(seed);

    /// <summary>One request for a method taking <paramref name="input"/>.</summary>
    public byte[] Next(MessageDescriptor input)
    {
        var roll = _random.Next(10);
        if (roll == 0)
        {
            var bytes = new byte[_random.Next(0, 64)];
            _random.NextBytes(bytes);
            return bytes;
        }

        var message = Build(input, depth: 0).ToByteArray();
        return roll < 5 ? message : Mutate(message);
    }

    private IMessage Build(MessageDescriptor descriptor, int depth)
    {
        var message = descriptor.Parser.ParseFrom([]);
        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            if (_random.Next(3) == 0)
            {
                continue;
            }

            if (field.IsMap)
            {
                var map = (System.Collections.IDictionary)field.Accessor.GetValue(message);
                var (keyField, valueField) = (field.MessageType.FindFieldByNumber(1), field.MessageType.FindFieldByNumber(2));
                for (var i = _random.Next(0, 4); i > 0; i--)
                {
                    if (Value(keyField, depth) is { } key && Value(valueField, depth) is { } item)
                    {
                        map[key] = item;
                    }
                }
            }
            else if (field.IsRepeated)
            {
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                for (var i = _random.Next(0, 4); i > 0; i--)
                {
                    if (Value(field, depth) is { } item)
                    {
                        list.Add(item);
                    }
                }
            }
            else if (Value(field, depth) is { } value)
            {
                field.Accessor.SetValue(message, value);
            }
        }

        return message;
    }

    private object? Value(FieldDescriptor field, int depth) => field.FieldType switch
    {
        FieldType.String => String(),
        FieldType.Bool => _random.Next(2) == 0,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (int)Number(),
        FieldType.UInt32 or FieldType.Fixed32 => (uint)Number(),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => Number(),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)Number(),
        FieldType.Double => _random.Next(4) switch { 0 => double.NaN, 1 => double.PositiveInfinity, 2 => -1.5, _ => _random.NextDouble() * 10 },
        FieldType.Float => (float)(_random.NextDouble() * 10 - 5),
        FieldType.Enum => (int)Number() % 12,
        FieldType.Bytes => ByteString.CopyFrom(Bytes(16)),
        FieldType.Message when depth < 4 => Build(field.MessageType, depth + 1),
        _ => null,
    };

    private long Number() => _random.Next(3) == 0 ? _random.NextInt64(-100, 100) : s_numbers[_random.Next(s_numbers.Length)];

    private string String() => _random.Next(6) switch
    {
        0 or 1 => interestingStrings[_random.Next(interestingStrings.Count)],
        2 => new string((char)_random.Next(32, 127), _random.Next(0, 300)),
        3 => new string('x', _random.Next(1000, 70_000)),
        _ => s_hostile[_random.Next(s_hostile.Length)],
    };

    private byte[] Bytes(int max)
    {
        var bytes = new byte[_random.Next(0, max)];
        _random.NextBytes(bytes);
        return bytes;
    }

    private byte[] Mutate(byte[] message)
    {
        var bytes = new List<byte>(message);
        for (var i = _random.Next(1, 5); i > 0; i--)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(4))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    bytes.Insert(at, (byte)_random.Next(256));
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }
}
