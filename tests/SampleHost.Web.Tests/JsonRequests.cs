using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace SampleHost.Web.Tests;

/// <summary>JSON to and from the studio's API, in the product's one JSON library.</summary>
internal static class JsonRequests
{
    public static async Task<JObject> GetJson(this HttpClient client, string path) => JObject.Parse(await client.GetStringAsync(path));

    public static StringContent Content(object body) => new(JsonConvert.SerializeObject(body), Encoding.UTF8, "application/json");

    /// <summary>The "error" of a JSON answer; empty when the answer has none or is not JSON.</summary>
    public static string ErrorOf(string text)
    {
        try { return JObject.Parse(text).Value<string>("error") ?? ""; }
        catch (JsonException) { return ""; }
    }
}
