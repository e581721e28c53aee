using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// A Stoat client's view of the Api: every call returns status and JSON, and every JSON body is checked
/// against the response schema of its operation in Stoat's OpenAPI (errors against Stoat's or authifier's
/// error schema).
/// </summary>
public sealed class StoatSession(HttpClient http)
{
    public string? Token { get; set; }

    /// <summary>Sent as <c>X-MFA-Ticket</c> when set.</summary>
    public string? MfaTicket { get; set; }

    /// <summary>Sent as <c>X-Bot-Token</c> when set: the session of a bot.</summary>
    public string? BotToken { get; set; }

    /// <summary>Sent as <c>Idempotency-Key</c> when set.</summary>
    public string? IdempotencyKey { get; set; }

    public sealed record Reply(HttpStatusCode Status, JsonElement Body)
    {
        public string? ErrorType => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("type", out var type) ? type.GetString() : null;
    }

    public Task<Reply> GetAsync(string path, string operation) => SendAsync(HttpMethod.Get, path, operation, null);

    public Task<Reply> DeleteAsync(string path, string operation) => SendAsync(HttpMethod.Delete, path, operation, null);

    public Task<Reply> PostAsync(string path, string operation, object? body = null) => SendAsync(HttpMethod.Post, path, operation, body);

    public Task<Reply> PatchAsync(string path, string operation, object? body) => SendAsync(HttpMethod.Patch, path, operation, body);

    public Task<Reply> PutAsync(string path, string operation, object? body = null) => SendAsync(HttpMethod.Put, path, operation, body);

    /// <summary>Sends raw text as the JSON body (for malformed-input tests).</summary>
    public Task<Reply> PostRawAsync(string path, string operation, string json) => SendAsync(HttpMethod.Post, path, operation, new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Any method with a JSON body (e.g. DELETE with one, as bulk delete takes).</summary>
    public Task<Reply> SendJsonAsync(HttpMethod method, string path, string operation, object body) => SendAsync(method, path, operation, body);

    /// <param name="operation">The OpenAPI path template whose schemas apply, e.g. <c>/auth/session/{id}</c>.</param>
    private async Task<Reply> SendAsync(HttpMethod method, string path, string operation, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (Token is not null) request.Headers.Add("X-Session-Token", Token);
        if (MfaTicket is not null) request.Headers.Add("X-MFA-Ticket", MfaTicket);
        if (IdempotencyKey is not null) request.Headers.Add("Idempotency-Key", IdempotencyKey);
        if (BotToken is not null) request.Headers.Add("X-Bot-Token", BotToken);
        request.Content = body switch
        {
            null => null,
            HttpContent content => content,
            _ => JsonContent.Create(body, options: new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }),
        };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        var reply = new Reply(response.StatusCode, json);

        if (text.Length > 0)
        {
            var openApi = await StoatOpenApi.LoadAsync();
            var problems = openApi.ValidateResponse(json, operation, method.Method, (int)response.StatusCode);
            // Authifier's routes answer with authifier's error catalogue, which the spec lists separately.
            if (problems.Count > 0 && !response.IsSuccessStatusCode) problems = openApi.Validate(json, "Authifier Error");
            Assert.True(problems.Count == 0, $"{method} {path} → {(int)response.StatusCode} {text} breaks Stoat's schema: {string.Join("; ", problems)}");
        }
        return reply;
    }
}
