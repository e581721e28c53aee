using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Identity;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>The Api on its real backing servers (Redis, RabbitMQ), configured as the AppHost configures it.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string PublicUrl = "https://chat.example.com";

    /// <summary>What the Api's content is encrypted under in the tests (the AppHost passes SPOKES_MASTER_PASSWORD).</summary>
    public const string MasterPassword = "api tests master password";

    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-api");

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    /// <summary>Autumn's file claims, as the Api calls them over gRPC.</summary>
    public FakeAutumn Autumn { get; } = new();

    /// <summary>The Redis the Api publishes its events to.</summary>
    public string RedisConnectionString => _redis.ConnectionString;

    /// <summary>The same Api with Stoat's rate limits on, trusting X-Forwarded-For as it does behind the Gateway.</summary>
    /// <summary>
    /// An Api counting requests against Stoat's limits. Its passwords are checked without Argon2: the tests count
    /// wrong logins in a 10-second window, which a busy machine hashing each one could outlast.
    /// </summary>
    public WebApplicationFactory<Program> RateLimited() => Factory.WithWebHostBuilder(web => web
        .UseSetting("Api:RateLimit:Enabled", "true")
        .UseSetting("FORWARDEDHEADERS_ENABLED", "true")
        .ConfigureServices(services => services.AddSingleton<IPasswordHasher, PlainComparison>()));

    /// <summary>Stores passwords as they are: for tests where the hashing is not what is tested.</summary>
    private sealed class PlainComparison : IPasswordHasher
    {
        public Task<string> HashAsync(string password) => Task.FromResult(password);

        public Task<bool> VerifyAsync(string password, string? phc) => Task.FromResult(phc == password);
    }

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        await Autumn.StartAsync();
        Factory = Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path).WithWebHostBuilder(web => web
            .UseSetting("services:autumn:grpc:0", "http://autumn.test")
            .UseSetting("Internal:Key", FakeAutumn.InternalKey)
            .ConfigureTestServices(services => services.AddGrpcClient<Contracts.Files.V1.Files.FilesClient>().ConfigurePrimaryHttpMessageHandler(Autumn.CreateHandler)));
    }

    /// <summary>An Api on the given Redis and RabbitMQ with its SQLite database in <paramref name="dataFolder"/>.</summary>
    public static WebApplicationFactory<Program> Create(string redis, string rabbitmq, string dataFolder) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:redis", redis)
            .UseSetting("ConnectionStrings:rabbitmq", rabbitmq)
            .UseSetting("ConnectionStrings:mongo", $"Data Source={Path.Combine(dataFolder, "spokes.db")}")
            .UseSetting("Api:PublicUrl", PublicUrl)
            .UseSetting("Api:VapidPublicKey", "BExampleVapidKey")
            .UseSetting("Api:MasterPassword", MasterPassword)
            // The route tests send far more sign-ups per second than Stoat allows one address; the limits
            // have their own tests.
            .UseSetting("Api:RateLimit:Enabled", "false"));

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(Factory, Autumn);
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }
}
