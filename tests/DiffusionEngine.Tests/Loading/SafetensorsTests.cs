using TestUtilities;
using DiffusionEngine.Safetensors;
using static TorchSharp.torch;

namespace DiffusionEngine.Tests.Loading;

public class SafetensorsTests
{
    [Fact]
    public void WriteThenReadRoundTripsValuesDtypesAndMetadata()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("t.safetensors");
        using var a = arange(12, float32).reshape(3, 4);
        using var b = tensor(new long[] { 7, -1 });
        using var c = randn(5).to(float16);
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["h"] = c },
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });

        using var f = SafetensorsFile.Open(path);
        Assert.Equal("ünïcode", f.Metadata["note"]);
        Assert.Equal(new long[] { 3, 4 }, f.Entry("a").Shape);
        using var ra = f.Read("a");
        using var rb = f.Read("b");
        using var rc = f.Read("h");
        Assert.True(ra.equal(a).all().item<bool>());
        Assert.True(rb.equal(b).all().item<bool>());
        Assert.Equal(ScalarType.Float16, rc.dtype);
        Assert.True(rc.equal(c).all().item<bool>());

        // Into an existing tensor of another dtype: converted.
        using var dest = zeros(3, 4, float64);
        f.CopyInto("a", dest);
        Assert.True(dest.equal(a.to(float64)).all().item<bool>());
    }

    [Fact]
    public void HeaderLongerThanFileIsRefused()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("bad.safetensors");
        var bytes = new byte[64];
        BitConverter.GetBytes(1_000_000L).CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void TruncatedFileNamesTheTensor()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("t.safetensors");
        using var a = ones(10, 10);
        using var b = ones(100);
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = a, ["z.last"] = b });
        var full = File.ReadAllBytes(path);
        File.WriteAllBytes(path, full[..^40]);
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path));
        Assert.Contains("z.last", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void WrongByteCountForShapeIsRefused()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("t.safetensors");
        var header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
        var hb = System.Text.Encoding.UTF8.GetBytes(header);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((long)hb.Length));
        fs.Write(hb);
        fs.Write(new byte[16]);
        fs.Close();
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("16 bytes", e.Message);
    }

    [Fact]
    public void ReadsTheReferenceFixtureHeader()
    {
        var path = AlphaFixture.Inputs;
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(new long[] { 2, 77 }, f.Entry("text_input_ids").Shape);
        using var ids = f.Read("text_input_ids");
        Assert.Equal(49406L, ids[0, 0].item<long>());
        Assert.Equal(2368L, ids[0, 5].item<long>());
    }
}
