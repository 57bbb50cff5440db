using System.Text;
using DiffusionEngine.Safetensors;
using TestUtilities;

namespace DiffusionEngine.Tests.FailClosed;

/// <summary>The safetensors reader follows the format strictly, and every refusal names the file and the field.</summary>
public class SafetensorsStrictTests
{
    /// <summary>A file of <paramref name="header"/> (JSON) and <paramref name="dataBytes"/> zero bytes of data.</summary>
    private static string Write(TempFolder tmp, string header, int dataBytes, string name = "x.safetensors")
    {
        var json = Encoding.UTF8.GetBytes(header);
        var path = tmp.File(name);
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        f.Write(new byte[dataBytes]);
        return path;
    }

    public static TheoryData<string, int, string> Malformed => new()
    {
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlaps tensor 'a'" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "has a gap at bytes 4..8" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "4 bytes after its last tensor" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "not valid JSON" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "field 'data_offsets' must hold non-negative integers" },
        { """{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "field 'shape' must be an array of non-negative integers" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "field 'shape' must be an array of non-negative integers" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999999]}}""", 4, "field 'data_offsets' must hold non-negative integers" },
        { """{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}""", 4, "holds more bytes than any file can" },
        { """{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}""", 4, "field 'shape' must be an array" },
        { """{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}""", 4, "field 'dtype' must be a string" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}""", 4, "field 'extra' is not a field" },
        { """{"__metadata__":{"k":5},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "metadata field 'k' must be a string" },
        { """{"__metadata__":[1],"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "'__metadata__' must be an object" },
        { """[1,2]""", 0, "not a JSON object" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedHeadersAreRefusedNamingFileAndField(string header, int dataBytes, string expected)
    {
        using var tmp = new TempFolder();
        var path = Write(tmp, header, dataBytes);
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
        foreach (var dotnet in new[] { "Value was either too large", "Can not convert", "Index and length", "Unable to read beyond" })
            Assert.DoesNotContain(dotnet, e.Message);
    }

    [Fact]
    public void AHeaderThatIsNotUtf8OrOverTheLimitIsRefused()
    {
        using var tmp = new TempFolder();
        var bad = tmp.File("bad.safetensors");
        File.WriteAllBytes(bad, [.. BitConverter.GetBytes(4UL), 0x7B, 0xC3, 0x28, 0x7D]);
        Assert.Contains("not valid UTF-8", Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(bad).Dispose()).Message);

        var huge = tmp.File("huge.safetensors");
        using (var f = File.Create(huge))
        {
            f.Write(BitConverter.GetBytes(200UL * 1024 * 1024));
            f.SetLength(200L * 1024 * 1024 + 8); // sparse: the length is there, the limit refuses it before reading
        }
        Assert.Contains("over the format's limit", Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(huge).Dispose()).Message);
    }

    [LinuxFact("makes a symbolic link")]
    public void AFileReachedThroughASymlinkIsRead()
    {
        using var tmp = new TempFolder();
        var target = Write(tmp, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "blobs/abc123");
        var link = tmp.Sub("model.safetensors");
        File.CreateSymbolicLink(link, target);
        using var file = SafetensorsFile.Open(link);
        Assert.Equal(new FileInfo(target).Length, file.FileLength);
        Assert.Equal([2L], file.Entry("a").Shape);
    }
}
