using DiffusionEngine.Safetensors;
using DiffusionEngine.StableDiffusion;
using Newtonsoft.Json.Linq;
using TestUtilities;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.SingleFile;

/// <summary>model inspect's engine side for single files, beside what it reports for folders.</summary>
public class SingleFileInspectionTests
{
    [Fact]
    public void AFolderReportsItsLayoutAndFamilyAndKeepsItsJson()
    {
        var report = ModelInspection.Inspect(AlphaFixture.Folder);
        Assert.Equal(ModelInspectionReport.DiffusersFolder, report.Layout);
        Assert.Equal("sd1", report.Family);
        Assert.True(report.IsClean);
        var json = ModelInspection.ToJson(report);
        var components = (JObject)json["components"]!;
        Assert.Equal(["unet", "text_encoder", "vae"], components.Properties().Select(p => p.Name));
        foreach (var field in new[] { "class", "config", "parameters", "dtype", "file", "file_bytes", "missing", "unexpected", "mismatched", "error" })
            Assert.NotNull(components["unet"]![field]);
        Assert.Equal("diffusers folder", (string?)json["layout"]);
        Assert.Equal("sd1", (string?)json["family"]);
        Assert.Null(json["ignored"]);
    }

    [Fact]
    public void TheAlphaSingleFileWithItsFolderConfigsIsCleanWithTheFolderParameterCounts()
    {
        var report = ModelInspection.Inspect(SingleFileFixtures.Alpha, AlphaFixture.Folder);
        Assert.Equal(ModelInspectionReport.SingleFile, report.Layout);
        Assert.Equal("sd1", report.Family);
        Assert.Equal(Path.GetFullPath(AlphaFixture.Folder), report.ConfigFolder);
        Assert.True(report.IsClean, string.Join("; ", report.Select(c => c.Error ?? c.Report.Describe())));
        var folder = ModelInspection.Inspect(AlphaFixture.Folder);
        Assert.Equal(folder.Select(c => (c.Component, c.ClassName, c.Parameters, c.Dtype)), report.Select(c => (c.Component, c.ClassName, c.Parameters, c.Dtype)));
        Assert.All(report, c => Assert.Equal(Path.GetFullPath(SingleFileFixtures.Alpha), c.WeightsFile));
        var json = ModelInspection.ToJson(report);
        Assert.Equal("single-file", (string?)json["layout"]);
        Assert.Empty((JArray)json["unexpected"]!);
        Assert.Empty((JArray)json["components"]!["vae"]!["mismatched"]!);
    }

    [Fact]
    public void MappingProblemsAreReportedPerComponentAndOutsideThem()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("edited.safetensors");
        var tensors = AlphaFixture.ReadAll(SingleFileFixtures.Alpha);
        try
        {
            tensors.Remove("model.diffusion_model.out.2.bias", out var removed);
            removed!.Dispose();
            tensors["embedding_manager.embedder.weight"] = zeros(2);
            tensors["betas"] = zeros(1000);
            SafetensorsWriter.Write(path, tensors);
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }

        var report = ModelInspection.Inspect(path, AlphaFixture.Folder);
        Assert.False(report.IsClean);
        var unet = report.Single(c => c.Component == "unet");
        Assert.Equal(["model.diffusion_model.out.2.bias (for conv_out.bias)"], unet.Report.Missing);
        Assert.Equal(["embedding_manager.embedder.weight"], report.Unexpected);
        Assert.Equal(["betas"], report.Ignored);
    }

    [Fact]
    public void AnSdxlSingleFileIsCheckedComponentByComponent()
    {
        var report = ModelInspection.Inspect(SingleFileFixtures.SdxlAlpha, SingleFileFixtures.SdxlAlphaFolder);
        Assert.Equal("sdxl", report.Family);
        Assert.Equal(ModelInspectionReport.SingleFile, report.Layout);
        Assert.Equal(["text_encoder", "text_encoder_2", "unet", "vae"], report.Select(c => c.Component).Order(StringComparer.Ordinal));
        Assert.All(report, c => Assert.Null(c.Error));
        Assert.All(report, c => Assert.True(c.Report.IsClean, c.Report.Describe()));
        Assert.All(report, c => Assert.Equal("F32", c.Dtype));
        Assert.Equal("CLIPTextModelWithProjection", report.Single(c => c.Component == "text_encoder_2").ClassName);
        Assert.Empty(report.Unexpected);
        Assert.True(report.IsClean);

        // Against SDXL base 1.0's configs (the default) the tiny file's shapes are all wrong, and said so per tensor.
        var base10 = ModelInspection.Inspect(SingleFileFixtures.SdxlAlpha);
        Assert.False(base10.IsClean);
        Assert.Contains("sdxl-configs", base10.ConfigFolder!);
        Assert.All(base10, c => Assert.NotEmpty(c.Report.Mismatched));
    }
}
