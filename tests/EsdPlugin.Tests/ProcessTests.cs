using TestUtilities;
using EsdPlugin.Deltas;
using Host.Abstractions;
using DiffusionEngine.Images;
using DiffusionEngine.StableDiffusion;
using SampleHost.LoadedModels;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace EsdPlugin.Tests;

/// <summary>The plugin as a user meets it: the built studio with its bundled plugin, one process per command.</summary>
[Collection(HeavyTests.Name)]
public class ProcessTests
{
    /// <summary>Two runs with the same seed in two processes draw the same concepts, timesteps and noise.</summary>
    [Fact]
    public void AnEraseIsTheSameInEveryProcess()
    {
        var deltas = new List<byte[]>();
        foreach (var run in new[] { 1, 2 })
        {
            var data = Directory.CreateTempSubdirectory("esd-same").FullName;
            try
            {
                // Several concepts and ddim steps, so that the per-iteration draws matter.
                var erase = StudioProcess.RunInData(data, "run", "esd.erase-concept", "--model", Paths.Alpha, "--concepts", "cat,dog,car",
                    "--iterations", "4", "--ddim-steps", "6", "--learning-rate", "1e-3", "--seed", "3", "--name", "same");
                Assert.True(erase.Code == 0, erase.Stderr);
                var path = erase.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim();
                using var contents = SampleHost.Plugins.SafetensorsFiles.Instance.Read(path);
                deltas.Add(contents.Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value.contiguous().bytes.ToArray()).ToArray());
            }
            finally
            {
                try { Directory.Delete(data, true); } catch (IOException) { }
            }
        }
        Assert.True(deltas[0].AsSpan().SequenceEqual(deltas[1]), "the two processes trained different deltas");
    }

    [Fact]
    public async Task ABlockedProjectIsRefusedThenGeneratesWithTheDeltaInAFreshProcess()
    {
        var data = Directory.CreateTempSubdirectory("esd-process").FullName;
        // Defaults of two iterations: the short run below is a full-length safe checkpoint for this copy.
        using var copy = ModelCopies.WithEsdIterations(Paths.Alpha, 2);
        try
        {
            var project = Path.Combine(data, "project");
            Assert.Equal(0, StudioProcess.RunInData(data, "project", "new", project, "--name", "safe", "--base-model", copy.Path).Code);
            Assert.Equal(0, StudioProcess.RunInData(data, "project", "block", project, "cat").Code);

            var refused = StudioProcess.RunInData(data, "generate", "--project", project, "--prompt", "a cat", "--steps", "3", "--seed", "1");
            Assert.NotEqual(0, refused.Code);
            Assert.Contains("esd.apply-blocklist", refused.Stderr);
            // SLD against the blocked concept is a baseline, not an erasure: the guard refuses it just the same.
            var steered = StudioProcess.RunInData(data, "generate", "--project", project, "--prompt", "a cat", "--steps", "3", "--seed", "1", "--sld", "cat", "--sld-preset", "max");
            Assert.Equal(refused.Code, steered.Code);
            Assert.Contains("esd.apply-blocklist", steered.Stderr);

            var menu = StudioProcess.RunInData(data, "menu");
            foreach (var id in new[] { "esd.erase-concept", "esd.load-edited-model", "esd.restore-original", "esd.apply-blocklist" })
                Assert.Contains(id, menu.Stdout);

            var erase = StudioProcess.RunInData(data, "run", "esd.erase-concept", "--model", copy.Path, "--concepts", "cat",
                "--iterations", "2", "--ddim-steps", "4", "--learning-rate", "1e-3");
            Assert.True(erase.Code == 0, erase.Stderr);
            var deltaPath = erase.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim();
            Assert.True(File.Exists(deltaPath), erase.Stdout);

            var generated = StudioProcess.RunInData(data, "generate", "--project", project, "--prompt", "a cat", "--steps", "3", "--seed", "1");
            Assert.True(generated.Code == 0, generated.Stderr);
            var png = generated.Stdout.Trim();
            var meta = PngImageFile.ReadParameters(png);
            var stamp = DeltaFile.Stamp(deltaPath);
            Assert.Contains(meta.Edits, e => e.Contains(stamp));

            // Here, another host: the base model plus the delta gives the very same image.
            using var cache = new ModelCache(StudioModel.Load);
            cache.Select(Paths.Alpha, TorchSharp.torch.CPU, TorchSharp.torch.ScalarType.Float32);
            using var lease = await cache.AcquireAsync(LeaseMode.Exclusive);
            var files = SampleHost.Plugins.SafetensorsFiles.Instance;
            DeltaLoader.Load(lease.Model, files, DeltaFile.Inspect(files, deltaPath));
            var model = (StudioModel)lease.Model;
            var (image, _) = Assert.Single(TextToImage.Generate(model.Engine, new TextToImageRequest { Prompt = "a cat", Steps = 3, Seed = 1 }, model.Fingerprint, []));
            using var disposeImage = image;
            var expected = PngImageFile.ToRgbBytes(image, out _, out _);
            using var written = Image.Load<Rgb24>(png);
            var actual = new byte[expected.Length];
            written.CopyPixelDataTo(actual);
            Assert.Equal(expected, actual);
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }
}
