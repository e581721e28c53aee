using System.Net.Http.Headers;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Contracts.Internal;
using Spokes.Contracts.Sessions.V1;
using Spokes.TestSupport;
using FilesClient = Spokes.Contracts.Files.V1.Files.FilesClient;

namespace Spokes.Autumn.Tests;

/// <summary>
/// Autumn on a real RabbitMQ, its records in a SQLite file and its objects in a folder, as the local profile runs it;
/// uploads are authenticated by a stand-in for the Api's Sessions service (gRPC, on a port of its own) that knows
/// the tokens in <see cref="Users"/> and checks the suite's internal key.
/// </summary>
public sealed class AutumnFixture : IAsyncLifetime
{
    public const string InternalKey = "autumn-tests-internal-key";
    public const string AdminKey = "autumn-tests-admin-key";

    /// <summary>Session tokens and their users.</summary>
    public static readonly IReadOnlyDictionary<string, string> Users = new Dictionary<string, string>
    {
        ["alice-token"] = "01ALICE0000000000000000000",
        ["bob-token"] = "01BOB000000000000000000000",
    };

    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-autumn");
    private WebApplication? _sessions;

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public string ObjectFolder => Path.Combine(_data.Path, "files");

    public string RecordsFile => Path.Combine(_data.Path, "autumn.db");

    public async Task InitializeAsync()
    {
        await _rabbitmq.InitializeAsync();
        _sessions = await StartSessionsAsync();
        var sessionsAddress = _sessions.Urls.Single();
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:rabbitmq", _rabbitmq.ConnectionString)
            .UseSetting("ConnectionStrings:s3", $"Folder={ObjectFolder}")
            .UseSetting("ConnectionStrings:files-db", $"Data Source={RecordsFile}")
            .UseSetting("services:api:grpc:0", sessionsAddress)
            .UseSetting(InternalCalls.KeySetting, InternalKey)
            .UseSetting("Autumn:EncryptionKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))
            .UseSetting("Autumn:AdminKeys:0", AdminKey));
        Factory.CreateClient().Dispose();
    }

    /// <summary>A client whose requests carry the session token of <paramref name="token"/> (none when null).</summary>
    public HttpClient Client(string? token = "alice-token")
    {
        var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Add("X-Session-Token", token);
        return client;
    }

    /// <summary>Autumn's gRPC Files service, called as the Api calls it (with the internal key unless told otherwise).</summary>
    public FilesClient Files(string? key = InternalKey)
    {
        var channel = GrpcChannel.ForAddress(Factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Factory.Server.CreateHandler() });
        var invoker = key is null ? channel.CreateCallInvoker() : channel.CreateCallInvoker().Intercept(metadata =>
        {
            metadata.Add(InternalCalls.Header, key);
            return metadata;
        });
        return new FilesClient(invoker);
    }

    /// <summary>Uploads <paramref name="data"/> as the field <c>file</c> named <paramref name="filename"/>.</summary>
    public static Task<HttpResponseMessage> UploadAsync(HttpClient client, string tag, byte[] data, string filename = "upload.bin")
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(data);
        // What the client claims is ignored: Autumn sniffs the bytes.
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        content.Add(file, "file", filename);
        return client.PostAsync($"/{tag}", content);
    }

    /// <summary>Every object file in the store's folder.</summary>
    public IReadOnlyList<string> StoredObjects() =>
        Directory.Exists(ObjectFolder) ? Directory.GetFiles(ObjectFolder, "*", SearchOption.AllDirectories) : [];

    /// <summary>How many file and object records there are.</summary>
    public (long Files, long Objects) RecordCounts()
    {
        using var connection = new SqliteConnection($"Data Source={RecordsFile}");
        connection.Open();
        using var files = connection.CreateCommand();
        files.CommandText = "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM objects)";
        using var reader = files.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<WebApplication> StartSessionsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<StandInSessions>();
        await app.StartAsync();
        return app;
    }

    private sealed class StandInSessions : Sessions.SessionsBase
    {
        public override Task<AuthenticateReply> Authenticate(AuthenticateRequest request, ServerCallContext context)
        {
            if (!InternalCalls.IsValid(context.RequestHeaders.GetValue(InternalCalls.Header), InternalKey))
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, "no internal key"));
            }
            return Users.TryGetValue(request.Token, out var user) && request.Kind == TokenKind.Session
                ? Task.FromResult(new AuthenticateReply { UserId = user, SessionId = "session-" + user })
                : throw new RpcException(new Status(StatusCode.NotFound, "unknown token"));
        }
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(Factory, _sessions);
        await _rabbitmq.DisposeAsync();
        _data.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class AutumnCollection : ICollectionFixture<AutumnFixture>
{
    public const string Name = "Autumn";
}
