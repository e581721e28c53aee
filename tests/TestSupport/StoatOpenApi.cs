using System.Diagnostics;
using System.Text.Json;

namespace Spokes.TestSupport;

/// <summary>
/// Stoat's published OpenAPI document (npm <c>stoat-api@0.8.9-4</c>, <c>OpenAPI.json</c>) and a validator of
/// JSON values against its schemas — the contract our responses must meet for Stoat clients. The package is
/// fetched with npm into <c>.cache/</c> on first use (or read from <c>SPOKES_STOAT_OPENAPI</c>).
/// </summary>
public sealed class StoatOpenApi
{
    public const string Package = "stoat-api@0.8.9-4";
    private static readonly SemaphoreSlim FetchLock = new(1, 1);
    private static StoatOpenApi? _loaded;
    private readonly JsonElement _document;

    private StoatOpenApi(JsonElement document) => _document = document;

    public static async Task<StoatOpenApi> LoadAsync()
    {
        await FetchLock.WaitAsync();
        try
        {
            if (_loaded is not null) return _loaded;
            var path = Environment.GetEnvironmentVariable("SPOKES_STOAT_OPENAPI") is { Length: > 0 } given ? given : await FetchAsync();
            await using var stream = File.OpenRead(path);
            using var document = await JsonDocument.ParseAsync(stream);
            return _loaded = new StoatOpenApi(document.RootElement.Clone());
        }
        finally
        {
            FetchLock.Release();
        }
    }

    private static async Task<string> FetchAsync()
    {
        var cache = Path.Combine(BuildLayout.RepositoryRoot, ".cache");
        var folder = Path.Combine(cache, Package.Replace('@', '-'));
        var openApi = Path.Combine(folder, "package", "OpenAPI.json");
        if (File.Exists(openApi)) return openApi;

        // Unpacked beside the cache and moved in whole, so concurrent test runs never see half a package.
        var staging = Path.Combine(cache, "staging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            await RunAsync(staging, "npm", "pack", Package, "--silent");
            var tarball = Directory.GetFiles(staging, "*.tgz").Single();
            await RunAsync(staging, "tar", "xzf", tarball);
            try
            {
                Directory.Move(staging, folder);
            }
            catch (IOException) when (File.Exists(openApi))
            {
                // Another run got there first.
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return File.Exists(openApi) ? openApi : throw new InvalidOperationException($"{Package} holds no package/OpenAPI.json.");
    }

    private static async Task RunAsync(string folder, string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"Could not run {program}.");
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{program} {string.Join(' ', arguments)}` failed ({process.ExitCode}): {output}");
        }
    }

    /// <summary>The schema name of an operation's response, e.g. (<c>/</c>, <c>get</c>, 200) → <c>RevoltConfig</c>.</summary>
    public string ResponseSchema(string path, string method, int status)
    {
        var schema = _document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses")
            .GetProperty(status.ToString()).GetProperty("content").GetProperty("application/json").GetProperty("schema");
        return schema.GetProperty("$ref").GetString()!.Split('/')[^1];
    }

    /// <summary>
    /// Every way <paramref name="value"/> breaks the response schema of an operation (its success status, or
    /// the <c>default</c> error response for any other status); empty when it conforms.
    /// </summary>
    public IReadOnlyList<string> ValidateResponse(JsonElement value, string path, string method, int status)
    {
        var responses = _document.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant()).GetProperty("responses");
        if (!responses.TryGetProperty(status.ToString(), out var response)) response = responses.GetProperty("default");
        var errors = new List<string>();
        Validate(value, response.GetProperty("content").GetProperty("application/json").GetProperty("schema"), "$", errors);
        return errors;
    }

    /// <summary>Every way <paramref name="value"/> breaks the schema <paramref name="schemaName"/>; empty when it conforms.</summary>
    public IReadOnlyList<string> Validate(JsonElement value, string schemaName)
    {
        var errors = new List<string>();
        Validate(value, Schema(schemaName), "$", errors);
        return errors;
    }

    private JsonElement Schema(string name) => _document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    private void Validate(JsonElement value, JsonElement schema, string path, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            Validate(value, Schema(reference.GetString()!.Split('/')[^1]), path, errors);
            return;
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!AllowsNull(schema)) errors.Add($"{path}: null where the schema does not allow it");
            return;
        }
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var part in allOf.EnumerateArray()) Validate(value, part, path, errors);
        }
        foreach (var keyword in new[] { "oneOf", "anyOf" })
        {
            if (!schema.TryGetProperty(keyword, out var alternatives)) continue;
            var passing = alternatives.EnumerateArray().Count(alternative =>
            {
                var inner = new List<string>();
                Validate(value, alternative, path, inner);
                return inner.Count == 0;
            });
            if (passing == 0) errors.Add($"{path}: matches none of the {keyword} alternatives");
        }
        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            errors.Add($"{path}: {value.GetRawText()} is not one of {allowed.GetRawText()}");
        }

        var type = schema.TryGetProperty("type", out var t) ? t.GetString()
            : schema.TryGetProperty("properties", out _) ? "object" : null;
        switch (type)
        {
            case "object":
                ValidateObject(value, schema, path, errors);
                break;
            case "array" when value.ValueKind != JsonValueKind.Array:
                errors.Add($"{path}: expected an array, got {value.ValueKind}");
                break;
            case "array":
                var items = schema.GetProperty("items");
                var index = 0;
                // Stoat's schema writes tuples (e.g. a setting's [timestamp, value]) as a list of item schemas, one per position.
                var tuple = items.ValueKind == JsonValueKind.Array;
                if (tuple && value.GetArrayLength() != items.GetArrayLength())
                    errors.Add($"{path}: expected {items.GetArrayLength()} items, got {value.GetArrayLength()}");
                foreach (var item in value.EnumerateArray().Take(tuple ? items.GetArrayLength() : int.MaxValue))
                {
                    Validate(item, tuple ? items[index] : items, $"{path}[{index}]", errors);
                    index++;
                }
                break;
            case "null":
            case "string" when value.ValueKind != JsonValueKind.String:
            case "boolean" when value.ValueKind is not (JsonValueKind.True or JsonValueKind.False):
            case "number" when value.ValueKind != JsonValueKind.Number:
            case "integer" when value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out _):
                errors.Add($"{path}: expected {type}, got {value.GetRawText()}");
                break;
        }
    }

    /// <summary>OpenAPI 3.0's <c>nullable</c>, or 3.1's <c>type: "null"</c>, here or in one of the alternatives.</summary>
    private bool AllowsNull(JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference)) return AllowsNull(Schema(reference.GetString()!.Split('/')[^1]));
        if (schema.TryGetProperty("nullable", out var nullable) && nullable.GetBoolean()) return true;
        if (schema.TryGetProperty("type", out var type) && type.GetString() == "null") return true;
        return new[] { "oneOf", "anyOf" }.Any(keyword => schema.TryGetProperty(keyword, out var alternatives) && alternatives.EnumerateArray().Any(AllowsNull));
    }

    private void ValidateObject(JsonElement value, JsonElement schema, string path, List<string> errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path}: expected an object, got {value.ValueKind}");
            return;
        }
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!value.TryGetProperty(name, out _)) errors.Add($"{path}: missing required property '{name}'");
            }
        }
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        foreach (var property in value.EnumerateObject())
        {
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Validate(property.Value, propertySchema, $"{path}.{property.Name}", errors);
            }
            else if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                if (additional.ValueKind == JsonValueKind.False) errors.Add($"{path}: unexpected property '{property.Name}'");
                else if (additional.ValueKind == JsonValueKind.Object) Validate(property.Value, additional, $"{path}.{property.Name}", errors);
            }
        }
    }
}
