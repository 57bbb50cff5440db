using System.Net;

namespace SampleHost.Web;

/// <summary>How `studio serve` listens and which folders its requests may name.</summary>
public sealed record ServeOptions
{
    /// <summary>The default port (A1111's, so that a browser bookmark carries over).</summary>
    public const int DefaultPort = 7860;

    /// <summary>Largest request body accepted (JSON forms only; nothing is uploaded).</summary>
    public const long MaxRequestBytes = 1 << 20;

    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The port; 0 picks a free one (the URL printed at start says which).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Required on every request when set; a non-loopback address refuses to start without one.</summary>
    public string? Token { get; init; }

    /// <summary>Model folders and single files the Models panel offers.</summary>
    public required string ModelsRoot { get; init; }

    /// <summary>Where generations without a project write their images.</summary>
    public required string OutputsRoot { get; init; }

    /// <summary>Where projects created from the page live.</summary>
    public required string ProjectsRoot { get; init; }

    /// <summary>The studio's data folder (the plugins' stores).</summary>
    public required string DataRoot { get; init; }

    public string Device { get; init; } = "cpu";

    public TorchSharp.torch.ScalarType Dtype { get; init; } = TorchSharp.torch.ScalarType.Float32;

    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>Why these options cannot start a server, or null.</summary>
    public string? Problem() =>
        !IsLoopback && string.IsNullOrEmpty(Token)
            ? $"--host {Address}: serving on an address other than loopback needs --token <secret> (every request must then carry it)"
            : Token is { Length: > 0 and < 16 } ? "--token must be at least 16 characters" : null;
}
