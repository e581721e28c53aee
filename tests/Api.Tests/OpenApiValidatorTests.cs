using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>The schema check used by every conformance test must catch what breaks Stoat clients.</summary>
public class OpenApiValidatorTests
{
    private static async Task<IReadOnlyList<string>> ValidateAsync(string json) =>
        (await StoatOpenApi.LoadAsync()).Validate(JsonDocument.Parse(json).RootElement, "VoiceNode");

    [Fact]
    public async Task A_conforming_value_has_no_errors() =>
        Assert.Empty(await ValidateAsync("""{"name":"eu","lat":1.5,"lon":2,"public_url":"wss://x"}"""));

    [Fact]
    public async Task Missing_properties_and_wrong_types_are_reported()
    {
        var errors = await ValidateAsync("""{"name":7,"lat":"north","public_url":"wss://x"}""");
        Assert.Contains(errors, e => e.Contains("missing required property 'lon'"));
        Assert.Contains(errors, e => e.Contains("$.name: expected string"));
        Assert.Contains(errors, e => e.Contains("$.lat: expected number"));
    }

    [Fact]
    public async Task Null_is_refused_where_the_schema_does_not_allow_it() =>
        Assert.Contains(await ValidateAsync("""{"name":null,"lat":1,"lon":2,"public_url":"wss://x"}"""), e => e.Contains("null"));

    [Fact]
    public async Task Null_is_accepted_where_an_alternative_is_the_null_type_and_nothing_else_matches_that_alternative()
    {
        var openApi = await StoatOpenApi.LoadAsync();
        Assert.Empty(openApi.Validate(JsonDocument.Parse("null").RootElement, "ResponseVerify"));
        Assert.NotEmpty(openApi.Validate(JsonDocument.Parse("7").RootElement, "ResponseVerify"));
    }
}
