using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace SampleHost.Web.Api;

/// <summary>
/// Request and response bodies in the product's one JSON library: camelCase properties (dictionary keys, such
/// as parameter names, as they are), and requests read strictly, so a misspelt field is named rather than ignored.
/// </summary>
internal static class JsonBody
{
    private static readonly JsonSerializerSettings Writing = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new CamelCaseNamingStrategy() },
    };

    private static readonly JsonSerializerSettings Reading = new()
    {
        MissingMemberHandling = MissingMemberHandling.Error,
        DateParseHandling = DateParseHandling.None,
        MaxDepth = 16,
    };

    public static string Serialize(object? value) => JsonConvert.SerializeObject(value, Writing);

    /// <summary>A JSON response; what Results.Json would be, written by Newtonsoft.</summary>
    public static IResult Result(object? value, int statusCode = StatusCodes.Status200OK) =>
        Results.Text(Serialize(value), "application/json; charset=utf-8", Encoding.UTF8, statusCode);

    public static Task WriteAsync(HttpResponse response, object? value)
    {
        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(Serialize(value), Encoding.UTF8);
    }

    /// <summary>The request's body as a <typeparamref name="T"/>; a body that is not one is a <see cref="BadHttpRequestException"/> that says where.</summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request) where T : class
    {
        // Kestrel's MaxRequestBodySize bounds what this reads.
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        try
        {
            return JsonConvert.DeserializeObject<T>(text, Reading)
                ?? throw new BadHttpRequestException("the body must be a JSON object, got nothing");
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException($"the body is not the JSON this takes: {e.Message}");
        }
    }
}
