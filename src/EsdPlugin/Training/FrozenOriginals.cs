using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EsdPlugin.Training;

/// <summary>
/// The original values of the trained subset: the only part of the U-Net ESD duplicates. The frozen teacher and
/// the student share the host's one U-Net; for a teacher pass the subset's parameters are pointed at these
/// originals (a storage swap, no copy) and pointed back afterwards.
/// </summary>
internal sealed class FrozenOriginals : IDisposable
{
    private readonly List<(string Name, Parameter Parameter, Tensor Original)> _entries;

    /// <param name="original">The original value of a parameter by name (the caller's tensor, owned from then on); null:
    /// the parameters' values now are the originals.</param>
    public FrozenOriginals(IReadOnlyList<(string Name, Parameter Parameter)> trained, Func<string, Tensor>? original = null)
    {
        using var noGrad = no_grad();
        _entries = trained.Select(t => (t.Name, t.Parameter, original is null ? t.Parameter.detach().clone() : Placed(original(t.Name), t.Parameter))).ToList();
    }

    private static Tensor Placed(Tensor value, Parameter like)
    {
        var placed = value.to(like.dtype, like.device);
        if (!ReferenceEquals(placed, value)) value.Dispose();
        return placed;
    }

    public IEnumerable<(string Name, Tensor Original)> Originals => _entries.Select(e => (e.Name, e.Original));

    /// <summary>Makes the shared U-Net compute as the frozen original until the result is disposed.</summary>
    public IDisposable AsTeacher()
    {
        using var noGrad = no_grad();
        var students = new List<Tensor>(_entries.Count);
        foreach (var (_, p, original) in _entries)
        {
            students.Add(p.detach()); // keeps the student's storage alive while p points at the original
            p.set_(original);
        }
        return new Swap(_entries, students);
    }

    private bool _restored;

    /// <summary>Copies the originals back into the parameters (bit for bit), unless <see cref="TakeTrained"/> already put them back.</summary>
    public void RestoreParameters()
    {
        if (_restored) return;
        using var noGrad = no_grad();
        foreach (var (_, p, original) in _entries) p.copy_(original);
    }

    /// <summary>
    /// The parameters' trained values, by name, without a copy: each parameter is pointed back at its original (a
    /// storage swap) and its trained storage handed to the caller, who disposes the tensors.
    /// </summary>
    public Dictionary<string, Tensor> TakeTrained()
    {
        if (_restored) throw new InvalidOperationException("the trained values were taken already");
        using var noGrad = no_grad();
        var trained = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p, original) in _entries)
        {
            trained[name] = p.detach();
            p.set_(original);
        }
        _restored = true;
        return trained;
    }

    public void Dispose()
    {
        foreach (var e in _entries) e.Original.Dispose();
    }

    private sealed class Swap(List<(string Name, Parameter Parameter, Tensor Original)> entries, List<Tensor> students) : IDisposable
    {
        public void Dispose()
        {
            using var noGrad = no_grad();
            for (int i = 0; i < entries.Count; i++)
            {
                entries[i].Parameter.set_(students[i]);
                students[i].Dispose();
            }
        }
    }
}
