using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.TestSupport;

namespace Spokes.ServiceDefaults.Tests;

/// <summary>
/// A service with the shared Stoat error handling, on a real socket (Kestrel enforces the body limit): whatever goes
/// wrong, a client reads Stoat's <c>{"type": …, "location": …}</c> with the status Stoat gives it.
/// </summary>
public sealed class StoatErrorsTests : IAsyncLifetime
{
    private sealed class Refused(string type) : Exception(type);

    private sealed record Greeting(string Name);

    private const long BodyLimit = 1024;

    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var port = Ports.Free();
        // In Development, where ASP.NET Core adds its developer exception page before the service's own middleware.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = BodyLimit);
        builder.AddServiceDefaults();
        builder.AddStoatErrors(exception => exception is Refused refused
            ? StoatError.Raised(refused.Message, HttpStatusCode.Forbidden, new Dictionary<string, object> { ["permission"] = "ManageServer" })
            : null);
        _app = builder.Build();
        _app.UseStoatErrors();
        // The service's own middleware comes after the handling, whatever it does.
        _app.Use((context, next) => context.Request.Path == "/middleware-fault" ? throw new InvalidOperationException("broken middleware") : next(context));
        _app.MapDefaultEndpoints();
        _app.MapGet("/greeting", () => "hello");
        _app.MapPost("/greeting", (Greeting greeting) => greeting.Name);
        _app.MapGet("/refused", string () => throw new Refused("MissingPermission"));
        _app.MapGet("/fault", string () => throw new IOException("disk unplugged"));
        _app.MapGet("/empty-not-found", () => Results.NotFound());
        _app.MapGet("/empty-bad-request", () => Results.BadRequest());
        _app.MapGet("/own-not-found", () => Results.Json(new { type = "UnknownUser" }, statusCode: 404));
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private static async Task<JsonElement> StoatErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(type, body.GetProperty("type").GetString());
        Assert.Matches(@"\.cs:\d+$", body.GetProperty("location").GetString());
        return body;
    }

    [Theory]
    [InlineData("/no/such/route")]
    [InlineData("/empty-not-found")]
    public async Task An_unknown_route_or_a_bare_404_is_stoats_not_found(string path)
    {
        var error = await StoatErrorAsync(await _http.GetAsync(path), HttpStatusCode.NotFound, "NotFound");
        Assert.Matches(@"^ServiceDefaults/StoatErrors\.cs:\d+$", error.GetProperty("location").GetString());
    }

    [Fact]
    public async Task A_method_the_route_does_not_take_is_refused_as_stoats_invalid_operation() =>
        await StoatErrorAsync(await _http.DeleteAsync("/greeting"), HttpStatusCode.MethodNotAllowed, "InvalidOperation");

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"name": 5}""")]
    public async Task A_malformed_body_is_stoats_failed_validation_with_the_reason(string body)
    {
        using var response = await _http.PostAsync("/greeting", new StringContent(body, Encoding.UTF8, "application/json"));
        var error = await StoatErrorAsync(response, HttpStatusCode.BadRequest, "FailedValidation");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_body_of_another_type_than_json_is_stoats_failed_validation_not_a_bare_415()
    {
        using var response = await _http.PostAsync("/greeting", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        var error = await StoatErrorAsync(response, HttpStatusCode.BadRequest, "FailedValidation");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_bare_400_is_stoats_failed_validation()
    {
        var error = await StoatErrorAsync(await _http.GetAsync("/empty-bad-request"), HttpStatusCode.BadRequest, "FailedValidation");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_body_over_the_servers_limit_is_stoats_payload_too_large()
    {
        var name = new string('x', (int)BodyLimit);
        using var response = await _http.PostAsync("/greeting", new StringContent($$"""{"name":"{{name}}"}""", Encoding.UTF8, "application/json"));
        await StoatErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PayloadTooLarge");
    }

    [Fact]
    public async Task The_services_own_refusals_are_answered_as_it_names_them()
    {
        var error = await StoatErrorAsync(await _http.GetAsync("/refused"), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal("ManageServer", error.GetProperty("permission").GetString());
    }

    [Theory]
    [InlineData("/fault")]
    [InlineData("/middleware-fault")]
    public async Task An_unexpected_fault_is_stoats_internal_error_without_its_details(string path)
    {
        using var response = await _http.GetAsync(path);
        await StoatErrorAsync(response, HttpStatusCode.InternalServerError, "InternalError");
        Assert.DoesNotContain("unplugged", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("broken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_error_answer_with_a_body_of_its_own_keeps_it()
    {
        using var response = await _http.GetAsync("/own-not-found");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"type":"UnknownUser"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Answers_that_succeed_and_the_health_endpoints_are_untouched()
    {
        Assert.Equal("hello", await _http.GetStringAsync("/greeting"));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public void The_handling_without_its_services_stops_the_service_with_the_call_it_needs()
    {
        var app = WebApplication.CreateBuilder().Build();
        Assert.Contains("AddStoatErrors", Assert.Throws<InvalidOperationException>(() => app.UseStoatErrors()).Message);
    }

    [Fact]
    public void Locations_are_paths_from_the_repositorys_root()
    {
        Assert.Equal("services/Api/Errors/StoatException.cs:12", StoatError.LocationOf("/work/spokes/services/Api/Errors/StoatException.cs", 12));
        Assert.Equal("ServiceDefaults/StoatErrors.cs:3", StoatError.LocationOf(@"C:\src\spokes\ServiceDefaults\StoatErrors.cs", 3));
        Assert.Equal("Elsewhere.cs:7", StoatError.LocationOf("/tmp/Elsewhere.cs", 7));
    }
}
