using Spokes.AppHost.Hosting;

namespace Spokes.AppHost.Tests;

/// <summary>A resource that is only data: for tests of expressions and topology checks.</summary>
internal sealed class TestResource(string name) : Resource(name)
{
    public override string Type => "test";

    public override Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken) => Task.FromResult(HealthResult.Pass());
}

public class ExpressionsTests
{
    private static Dictionary<string, Resource> Topology()
    {
        var password = new ParameterResource("redis-password", secret: true, () => "s3cret");
        var redis = new TestResource("redis") { ConnectionStringExpression = "{redis.bindings.tcp.host}:{redis.bindings.tcp.port},password={redis-password.value}" };
        redis.Endpoints.Add(new Endpoint("tcp", "tcp", 6379) { Port = 41000 });
        var api = new TestResource("api");
        api.Endpoints.Add(new Endpoint("http", "http", 8080) { Port = 42000 });
        return new() { ["redis-password"] = password, ["redis"] = redis, ["api"] = api };
    }

    [Fact]
    public void Running_resolves_connection_strings_secrets_and_urls_on_loopback()
    {
        var resources = Topology();
        Assert.Equal("127.0.0.1:41000,password=s3cret", Expressions.EvaluateLocal("{redis.connectionString}", resources));
        Assert.Equal("http://127.0.0.1:42000", Expressions.EvaluateLocal("{api.bindings.http.url}", resources));
        Assert.Equal("6379", Expressions.EvaluateLocal("{redis.bindings.tcp.targetPort}", resources));
    }

    [Fact]
    public void Text_around_placeholders_is_kept_and_plain_text_is_untouched()
    {
        Assert.Equal("x=127.0.0.1;y=41000", Expressions.EvaluateLocal("x={redis.bindings.tcp.host};y={redis.bindings.tcp.port}", Topology()));
        Assert.Equal("Data Source=/data/{not an expression}.db", Expressions.EvaluateLocal("Data Source=/data/{not an expression}.db", Topology()));
    }

    [Fact]
    public void References_are_listed_with_their_endpoint()
    {
        var references = Expressions.References("{api.bindings.http.url} {redis.connectionString}").ToList();
        Assert.Equal(new Expressions.Reference("api", "url", "http"), references[0]);
        Assert.Equal(new Expressions.Reference("redis", "connectionString", null), references[1]);
    }

    [Fact]
    public void Unknown_resources_endpoints_and_missing_connection_strings_are_errors()
    {
        var resources = Topology();
        Assert.Contains("unknown resource 'mongo'", Assert.Throws<InvalidOperationException>(() => Expressions.EvaluateLocal("{mongo.connectionString}", resources)).Message);
        Assert.Contains("no endpoint 'grpc'", Assert.Throws<InvalidOperationException>(() => Expressions.EvaluateLocal("{api.bindings.grpc.url}", resources)).Message);
        Assert.Contains("no connection string", Assert.Throws<InvalidOperationException>(() => Expressions.EvaluateLocal("{api.connectionString}", resources)).Message);
        Assert.Contains("not a parameter", Assert.Throws<InvalidOperationException>(() => Expressions.EvaluateLocal("{api.value}", resources)).Message);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("voice-ingress")]
    [InlineData("s3")]
    public void Kebab_case_names_are_accepted(string name) => Assert.Equal(name, ResourceNames.Validate(name));

    [Theory]
    [InlineData("Redis")]
    [InlineData("voice_ingress")]
    [InlineData("-api")]
    [InlineData("api-")]
    [InlineData("")]
    public void Other_names_are_refused(string name) => Assert.Throws<ArgumentException>(() => ResourceNames.Validate(name));
}

public class TopologyValidationTests
{
    private static Dictionary<string, Resource> With(string expression)
    {
        var redis = new TestResource("redis") { ConnectionStringExpression = "{redis.bindings.tcp.host}:{redis.bindings.tcp.port}" };
        redis.Endpoints.Add(new Endpoint("tcp", "tcp", 6379));
        var api = new TestResource("api").WithEnvironment("ConnectionStrings__redis", expression);
        return new() { ["redis"] = redis, ["api"] = api };
    }

    [Fact]
    public void A_sound_topology_passes() => Expressions.Validate(With("{redis.connectionString}"));

    [Theory]
    [InlineData("{cache.connectionString}", "there is no resource 'cache'")]
    [InlineData("{redis.bindings.http.url}", "'redis' has no endpoint 'http'")]
    [InlineData("{redis.value}", "'redis' is not a parameter")]
    [InlineData("{api.connectionString}", "'api' has no connection string")]
    public void A_dangling_reference_names_where_it_is_and_what_is_wrong(string expression, string problem)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Expressions.Validate(With(expression)));
        Assert.Contains("api: ConnectionStrings__redis", error.Message);
        Assert.Contains(problem, error.Message);
    }
}
