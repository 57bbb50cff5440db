using DiffusionEngine.SingleFile;
using DiffusionEngine.StableDiffusion;
using TestUtilities;
using Xunit.Abstractions;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>
/// A file with SD 1.5's published names and shapes (values: zeros, in a sparse file of 2 GB that takes no space) maps
/// onto the modules SD 1.5's configs build, with nothing missing, unexpected or mismatched: checked at the header level
/// on the meta device, as model inspect does.
/// </summary>
public class Sd15SingleFileTests(ITestOutputHelper output)
{
    [LinuxFact("writes a 2 GB sparse file (a hole the file system does not store)")]
    public void Sd15sPublishedLayoutMapsWithNothingMissingOrUnexpected()
    {
        var tensors = Sd15OriginalKeys.All();
        // The published file's counts: U-Net 686, VAE 248, CLIP 196 + position_ids, and the original code's 14 extras.
        Assert.Equal(686, Sd15OriginalKeys.Unet().Count);
        Assert.Equal(248, Sd15OriginalKeys.Vae().Count);
        Assert.Equal(197, Sd15OriginalKeys.TextEncoder().Count);
        using var tmp = new TempFolder();
        var path = tmp.File("v1-5-layout.safetensors");
        SparseSafetensors.Write(path, tensors);
        output.WriteLine($"{new FileInfo(path).Length:N0} bytes, {tensors.Count} tensors");

        using (var checkpoint = SingleFileCheckpoint.Open(path))
            Assert.Equal(CheckpointFamily.StableDiffusion1, checkpoint.Family);

        var report = ModelInspection.Inspect(path);
        foreach (var c in report) output.WriteLine($"{c.Component}: {c.Parameters:N0} parameters, {c.Error ?? c.Report.Describe()}");
        Assert.Equal(Path.GetFullPath(RepoPaths.Sd15Configs), report.ConfigFolder);
        Assert.True(report.IsClean);
        Assert.Equal(859_520_964, report.Single(c => c.Component == "unet").Parameters);
        Assert.Equal(123_060_480, report.Single(c => c.Component == "text_encoder").Parameters);
        Assert.All(report, c => Assert.Equal("F16", c.Dtype));
        Assert.Empty(report.Unexpected);
        Assert.Equal(Sd15OriginalKeys.Extras().Select(t => t.Name).Append("cond_stage_model.transformer.text_model.embeddings.position_ids").Order(StringComparer.Ordinal),
            report.Ignored);
    }
}
