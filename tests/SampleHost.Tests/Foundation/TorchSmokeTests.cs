using TestUtilities;
using TorchSharp;
using static TorchSharp.torch;

namespace SampleHost.Tests.Foundation;

public class TorchSmokeTests
{
    [Fact]
    public void SmallModuleTrainsOnCpu()
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        var model = nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3, padding: 1)),
            ("act", nn.SiLU()),
            ("flat", nn.Flatten()),
            ("fc", nn.Linear(4 * 8 * 8, 1)));
        var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var x = randn(16, 1, 8, 8);
        var y = x.mean([1, 2, 3]).unsqueeze(1) * 3;

        float first = 0, last = 0;
        for (int step = 0; step < 50; step++)
        {
            using var inner = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }

        Assert.Equal(DeviceType.CPU, model.parameters().First().device_type);
        Assert.True(last < first * 0.5f, $"loss should fall: first {first}, last {last}");
    }

    [Fact]
    public void MatmulMatchesHandComputation()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [LinuxFact("reads /proc/self/maps")]
    public void LibTorchSharpLoadedFromOwnOutputFolder()
    {
        using var _ = ones(1); // forces native initialisation
        var mapped = File.ReadAllLines("/proc/self/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(p => p.EndsWith("libLibTorchSharp.so", StringComparison.Ordinal))
            .Distinct().ToList();
        var expected = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.Equal([expected], mapped);
        // TorchSharp's fallback loader copies natives into a "cpu" folder; the normal path never does.
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "cpu")));
    }
}
