using DiffusionEngine.StableDiffusion;
using Host.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SampleHost.Web.Jobs;

namespace SampleHost.Web.Api;

/// <summary>
/// Models: the model folders and single files under the models folder, the active one with its live edit (concepts,
/// method, stamp) and "Restore original", and the plugins' stored edits with the actions their catalogs offer.
/// </summary>
internal static class ModelApi
{
    public sealed record SelectRequest(string? Path);

    public static void Map(WebApplication app, StudioWeb web)
    {
        app.MapGet("/api/models", () =>
        {
            var root = web.Roots.Root(StudioWeb.Models);
            var (key, loaded) = web.ActiveModel();
            object? live = null;
            if (loaded?.Patches.LiveStamp is { } stamp)
            {
                var edit = web.LiveEdit(loaded);
                live = new { stamp, tensors = loaded.Patches.PatchedNames.Count, name = edit?.Name, concepts = edit?.Concepts, method = edit?.Method };
            }
            return JsonBody.Result(new
            {
                root,
                models = Find(root).Select(m => new { path = web.Roots.Relative(m.Path, StudioWeb.Models), kind = m.Kind }).ToList(),
                active = key is null ? null : new
                {
                    path = web.Roots.Contains(key.Folder) ? web.Roots.Relative(key.Folder, StudioWeb.Models) : key.Folder,
                    device = key.Device, dtype = key.Dtype.ToString(), loaded = loaded is not null, family = loaded?.Family,
                    busy = web.Host.ModelCache.IsExclusivelyLeased(key), liveEdit = live,
                },
            });
        });

        app.MapPost("/api/models/select", async (HttpRequest http) =>
        {
            var body = await JsonBody.ReadAsync<SelectRequest>(http);
            var full = web.Roots.Resolve(body.Path ?? "", StudioWeb.Models);
            if (!Directory.Exists(full) && !File.Exists(full)) throw new FileNotFoundException($"no model '{body.Path}' in the models folder");
            web.Host.ModelCache.Select(full, TorchSharp.torch.device(web.Options.Device), web.Options.Dtype);
            web.Board.StateChanged();
            return JsonBody.Result(new { selected = web.Roots.Relative(full, StudioWeb.Models) });
        });

        app.MapGet("/api/models/inspect", () =>
        {
            var key = web.Host.ModelCache.ActiveKey ?? throw new InvalidOperationException("no model is chosen");
            return Results.Text(ModelInspection.ToJson(ModelInspection.Inspect(key.Folder, key.Config)).ToString(), "application/json");
        });

        // The fingerprint of the U-Net's weights as they are now (hashing every tensor: seconds on a real model), to
        // check that what should have left them alone (a cancelled training) did.
        app.MapGet("/api/models/fingerprint", async (CancellationToken cancel) =>
        {
            using var lease = await web.Host.ModelCache.AcquireAsync(LeaseMode.Shared, cancel);
            var model = lease.Model;
            var live = TensorFingerprint.Of(model.Unet.state_dict().Select(kv => (kv.Key, kv.Value)));
            return JsonBody.Result(new { live, original = model.Fingerprint, liveStamp = model.Patches.LiveStamp });
        });

        app.MapPost("/api/models/restore", () =>
        {
            var job = web.Board.Start("command", "Restore original model", async (job, cancel) =>
            {
                using var lease = await web.Host.ModelCache.AcquireAsync(LeaseMode.Exclusive, cancel);
                job.Start("restoring");
                var stamp = lease.Model.Patches.LiveStamp;
                lease.Model.Patches.Restore();
                job.Finish(JobState.Succeeded, stamp is null ? "the original weights were already live" : $"restored the original weights (took out {stamp})");
            });
            return JsonBody.Result(web.Board.Snapshot(job), statusCode: StatusCodes.Status202Accepted);
        });

        app.MapGet("/api/edits", () =>
        {
            var (_, loaded) = web.ActiveModel();
            var catalogs = web.Host.Commands.EditCatalogs.Select(c => new
            {
                owner = c.Owner, parameter = c.Catalog.EditParameter, load = c.Catalog.LoadCommand, delete = c.Catalog.DeleteCommand, export = c.Catalog.ExportCommand,
                edits = c.Catalog.List(loaded).Select(e => new
                {
                    e.Name, e.Stamp, e.Concepts, e.Method, e.Family, baseFingerprint = e.BaseFingerprint, e.Created, e.Bytes, e.FitsModel, e.SafeCheckpoint,
                    live = loaded?.Patches.LiveStamp == e.Stamp,
                }).ToList(),
            }).ToList();
            return JsonBody.Result(new { modelLoaded = loaded is not null, catalogs });
        });
    }

    /// <summary>Diffusers folders (with model_index.json) and .safetensors files outside them, two levels deep at most.</summary>
    private static IEnumerable<(string Path, string Kind)> Find(string root)
    {
        var found = new List<(string, string)>();
        void Walk(string folder, int depth)
        {
            if (File.Exists(Path.Combine(folder, "model_index.json")))
            {
                found.Add((folder, "folder"));
                return;
            }
            foreach (var file in Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal)) found.Add((file, "single-file"));
            if (depth < 2)
                foreach (var sub in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal)) Walk(sub, depth + 1);
        }
        if (Directory.Exists(root)) Walk(root, 0);
        return found;
    }
}
