// Fashion-MNIST with TorchSharp, as a GridTrain command job: this grid's `!python train.py` (docs/user-code.md).
//   dotnet run train.cs -- --epochs 1
// Uses the contract a grid gives a program: checkpoints written to NAME.tmp then renamed into
// GRIDTRAIN_CHECKPOINT_DIR, GRIDTRAIN_RESUME_FROM on a resumed attempt, progress lines to GRIDTRAIN_EVENTS,
// SIGTERM = checkpoint now and exit. Without the variables it checkpoints to ./checkpoints and reports nothing.
#:package TorchSharp@0.107.0
#:package libtorch-cpu-linux-x64@2.10.0
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false
#:property PublishAot=false

using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

var options = Options.Parse(args);
torch.set_num_threads(int.Parse(Environment.GetEnvironmentVariable("OMP_NUM_THREADS") ?? $"{Environment.ProcessorCount}", CultureInfo.InvariantCulture));
var checkpoints = Environment.GetEnvironmentVariable("GRIDTRAIN_CHECKPOINT_DIR") ?? "checkpoints";
var eventsFile = Environment.GetEnvironmentVariable("GRIDTRAIN_EVENTS");
var resumeFrom = Environment.GetEnvironmentVariable("GRIDTRAIN_RESUME_FROM");
Directory.CreateDirectory(checkpoints);
var stopRequested = false;
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stopRequested = true; });

var (trainX, trainY) = Idx.Load(options.Data, "train", options.TrainLimit);
var (testX, testY) = Idx.Load(options.Data, "t10k", options.TestLimit);
var stepsPerEpoch = (int)trainX.shape[0] / options.BatchSize;
var totalSteps = stepsPerEpoch * options.Epochs;

torch.manual_seed(options.Seed);
var model = nn.Sequential(
    ("conv1", nn.Conv2d(1, 32, 3)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
    ("conv2", nn.Conv2d(32, 64, 3)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
    ("flatten", nn.Flatten()), ("fc1", nn.Linear(64 * 5 * 5, 128)), ("relu3", nn.ReLU()), ("fc2", nn.Linear(128, 10)));
var optimizer = optim.Adam(model.parameters(), options.LearningRate);
var step = 0;
if (resumeFrom is not null)
{
    using var reader = new BinaryReader(File.OpenRead(resumeFrom));
    step = reader.ReadInt32();
    model.load(reader);
    optimizer.load_state_dict(reader);
    Console.WriteLine($"resumed from {resumeFrom} at step {step}");
}

var started = DateTime.UtcNow;
var trained = 0L;
var (epochLoss, epochBatches) = (0.0, 0);
while (step < totalSteps)
{
    var epoch = step / stepsPerEpoch;
    // The same order on every attempt: an epoch's permutation depends on the seed and the epoch only.
    var order = torch.randperm(trainX.shape[0], generator: new Generator((ulong)((options.Seed * 1000) + epoch)));
    for (var batch = step % stepsPerEpoch; batch < stepsPerEpoch; batch++)
    {
        using (var scope = torch.NewDisposeScope())
        {
            var index = order[TensorIndex.Slice(batch * options.BatchSize, (batch + 1) * options.BatchSize)];
            var loss = F.cross_entropy(model.call(trainX[index]), trainY[index]);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            step++;
            trained += options.BatchSize;
            var lossValue = loss.item<float>();
            epochLoss += lossValue;
            epochBatches++;
            if (step % options.LogEvery == 0 || step == totalSteps)
            {
                Event(new { step, total_steps = totalSteps, epoch = epoch + 1, loss = lossValue, samples_per_second = trained / Math.Max((DateTime.UtcNow - started).TotalSeconds, 1e-9) });
            }
        }

        if (stopRequested)
        {
            Save();
            Console.WriteLine($"stopped at step {step} (SIGTERM): checkpoint written");
            return 143;
        }

        if (step % options.CheckpointEvery == 0 && step < totalSteps)
        {
            Save();
        }
    }

    var (testLoss, accuracy) = Evaluate();
    Event(new { epoch = epoch + 1, loss = epochLoss / Math.Max(epochBatches, 1), test_loss = testLoss, test_accuracy = accuracy });
    (epochLoss, epochBatches) = (0.0, 0);
    Console.WriteLine($"epoch {epoch + 1}: test loss {testLoss:F4}, accuracy {accuracy:P2}");
}

Save();
Console.WriteLine($"done: {step} steps, {trained / Math.Max((DateTime.UtcNow - started).TotalSeconds, 1e-9):F0} samples/s");
return 0;

void Event(object fields)
{
    if (eventsFile is not null)
    {
        File.AppendAllText(eventsFile, JsonSerializer.Serialize(fields) + "\n");
    }
}

void Save()
{
    var path = Path.Combine(checkpoints, $"ckpt-{step:D8}.bin");
    using (var writer = new BinaryWriter(File.Create(path + ".tmp")))
    {
        writer.Write(step);
        model.save(writer);
        optimizer.save_state_dict(writer);
    }

    File.Move(path + ".tmp", path, overwrite: true); // the rename commits it; the agent stores it and prunes old ones
}

(double Loss, double Accuracy) Evaluate()
{
    model.eval();
    double loss = 0, correct = 0;
    using (torch.no_grad())
    {
        for (var i = 0L; i < testX.shape[0]; i += 1000)
        {
            using var scope = torch.NewDisposeScope();
            var slice = TensorIndex.Slice(i, Math.Min(i + 1000, testX.shape[0]));
            var output = model.call(testX[slice]);
            loss += F.cross_entropy(output, testY[slice], reduction: nn.Reduction.Sum).item<float>();
            correct += output.argmax(1).eq(testY[slice]).sum().item<long>();
        }
    }

    model.train();
    return (loss / testX.shape[0], correct / testX.shape[0]);
}

/// <summary>The command line: --data DIR --epochs N --batch-size N --lr X --seed N --train-limit N --test-limit N --checkpoint-every N --log-every N.</summary>
internal sealed record Options(string Data, int Epochs, int BatchSize, double LearningRate, int Seed, int TrainLimit, int TestLimit, int CheckpointEvery, int LogEvery)
{
    public static Options Parse(string[] args)
    {
        var given = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            given[args[i]] = args[i + 1];
        }

        int Int(string name, int fallback) => given.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(
            given.GetValueOrDefault("--data") ?? Environment.GetEnvironmentVariable("GRIDTRAIN_DATA_DIR") ?? "/usr/share/datasets/fashion-mnist",
            Int("--epochs", 1), Int("--batch-size", 64),
            given.TryGetValue("--lr", out var lr) ? double.Parse(lr, CultureInfo.InvariantCulture) : 1e-3,
            Int("--seed", 1), Int("--train-limit", 0), Int("--test-limit", 0), Int("--checkpoint-every", 200), Int("--log-every", 10));
    }
}

/// <summary>Fashion-MNIST's gzipped IDX files as [N, 1, 28, 28] floats in [0, 1] and int64 labels.</summary>
internal static class Idx
{
    public static (Tensor Images, Tensor Labels) Load(string directory, string split, int limit)
    {
        var images = Read(Path.Combine(directory, $"{split}-images-idx3-ubyte.gz"));
        var labels = Read(Path.Combine(directory, $"{split}-labels-idx1-ubyte.gz"));
        var count = BigEndian(images, 4);
        var n = limit > 0 ? Math.Min(limit, count) : count;
        var pixels = torch.tensor(images[16..(16 + (n * 28 * 28))], ScalarType.Byte).reshape(n, 1, 28, 28).to_type(ScalarType.Float32).div(255);
        var classes = torch.tensor(labels[8..(8 + n)], ScalarType.Byte).to_type(ScalarType.Int64);
        return (pixels, classes);
    }

    private static byte[] Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static int BigEndian(byte[] bytes, int offset) => (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}
