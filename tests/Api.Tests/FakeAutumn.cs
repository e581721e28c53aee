using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Contracts.Files.V1;
using Spokes.Contracts.Internal;
using ProtoFile = Spokes.Contracts.Files.V1.File;

namespace Spokes.Api.Tests;

/// <summary>
/// Autumn's <c>Files</c> gRPC service in memory, as files.proto describes it, served in-process so the Api's real gRPC
/// client (address, internal key, error mapping) is what the tests drive. Tests "upload" files here and read back
/// which were claimed, released and reported.
/// </summary>
public sealed class FakeAutumn : Contracts.Files.V1.Files.FilesBase, IAsyncDisposable
{
    public const string InternalKey = "internal-key-for-tests";

    private readonly Dictionary<string, UploadedFile> _uploads = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private WebApplication? _server;

    private sealed class UploadedFile(ProtoFile file, string uploaderId)
    {
        public ProtoFile File { get; } = file;
        public string UploaderId { get; } = uploaderId;
        public FileUse? UsedFor { get; set; }
        public bool Deleted { get; set; }
        public bool Reported { get; set; }
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        _server = builder.Build();
        _server.MapGrpcService<FakeAutumn>();
        await _server.StartAsync();
    }

    /// <summary>A handler that reaches this fake without a socket (one per client: the client factory disposes its handlers).</summary>
    public HttpMessageHandler CreateHandler() => (_server ?? throw new InvalidOperationException("Start the fake first.")).GetTestServer().CreateHandler();

    /// <summary>A file as Autumn stores an upload of <paramref name="uploaderId"/> under <paramref name="tag"/>; returns its id.</summary>
    public string Upload(string uploaderId, string tag, string filename = "picture.png", string contentType = "image/png", int width = 64, int height = 48)
    {
        var id = Identity.SecureTokens.NewId();
        var metadata = contentType.StartsWith("image/", StringComparison.Ordinal)
            ? new FileMetadata { Type = "Image", Width = width, Height = height }
            : new FileMetadata { Type = "File" };
        lock (_lock)
            _uploads[id] = new UploadedFile(new ProtoFile { Id = id, Tag = tag, Filename = filename, ContentType = contentType, Size = 1234, Metadata = metadata }, uploaderId);
        return id;
    }

    public FileUse? UseOf(string id)
    {
        lock (_lock) return _uploads[id].UsedFor;
    }

    public bool IsDeleted(string id)
    {
        lock (_lock) return _uploads[id].Deleted;
    }

    public bool IsReported(string id)
    {
        lock (_lock) return _uploads[id].Reported;
    }

    public override Task<ClaimReply> Claim(ClaimRequest request, ServerCallContext context)
    {
        Authenticate(context);
        lock (_lock)
        {
            var distinct = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in request.Ids)
            {
                if (!distinct.Add(id) || !_uploads.TryGetValue(id, out var upload) || upload.Deleted || upload.UsedFor is not null
                    || upload.UploaderId != request.UploaderId || upload.File.Tag != request.Tag)
                    throw new RpcException(new Status(StatusCode.NotFound, $"file {id}"));
            }
            var reply = new ClaimReply();
            foreach (var id in request.Ids)
            {
                _uploads[id].UsedFor = request.Use;
                reply.Files.Add(_uploads[id].File);
            }
            return Task.FromResult(reply);
        }
    }

    public override Task<ReleaseReply> Release(ReleaseRequest request, ServerCallContext context)
    {
        Mark(request.Ids, context, upload => upload.Deleted = true);
        return Task.FromResult(new ReleaseReply());
    }

    public override Task<MarkReportedReply> MarkReported(MarkReportedRequest request, ServerCallContext context)
    {
        Mark(request.Ids, context, upload => upload.Reported = true);
        return Task.FromResult(new MarkReportedReply());
    }

    /// <summary>Changes each known file of <paramref name="ids"/>; unknown ids are ignored, as Autumn ignores them.</summary>
    private void Mark(IEnumerable<string> ids, ServerCallContext context, Action<UploadedFile> change)
    {
        Authenticate(context);
        lock (_lock)
            foreach (var id in ids)
                if (_uploads.TryGetValue(id, out var upload)) change(upload);
    }

    private static void Authenticate(ServerCallContext context)
    {
        if (!InternalCalls.IsValid(context.RequestHeaders.GetValue(InternalCalls.Header), InternalKey))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "no internal key"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
