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

    /// <summary>Autumn's default size limits of the tags Store uses.</summary>
    public static readonly IReadOnlyDictionary<string, long> StoreLimits = new Dictionary<string, long> { ["banners"] = 6_000_000, ["icons"] = 2_500_000 };

    private sealed class UploadedFile(ProtoFile file, string uploaderId, byte[]? data = null)
    {
        public ProtoFile File { get; } = file;
        public string UploaderId { get; } = uploaderId;
        public byte[]? Data { get; } = data;
        public FileUse? UsedFor { get; set; }
        public bool Deleted { get; set; }
        public bool Reported { get; set; }
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        // Store carries whole files, past gRPC's default of 4 MB, as Autumn takes them.
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = 16 * 1024 * 1024);
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

    /// <summary>The bytes handed over by Store, and what uses the file.</summary>
    public (byte[] Data, FileUse? UsedFor, bool Deleted) Stored(string id)
    {
        lock (_lock) return (_uploads[id].Data!, _uploads[id].UsedFor, _uploads[id].Deleted);
    }

    /// <summary>How many files Store was handed (and took).</summary>
    public int StoredCount
    {
        get { lock (_lock) return _uploads.Values.Count(u => u.Data is not null); }
    }

    /// <summary>Whether Store answers: off, it fails as an Autumn that is down does.</summary>
    public bool StoreAnswers { get; set; } = true;

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

    /// <summary>
    /// Store as files.proto describes it, with Autumn's refusals: empty, over the tag's limit, not an image (told by
    /// the first bytes of PNG, JPEG, GIF or WebP, as Autumn sniffs them).
    /// </summary>
    public override Task<StoreReply> Store(StoreRequest request, ServerCallContext context)
    {
        Authenticate(context);
        if (!StoreAnswers) throw new RpcException(new Status(StatusCode.Unavailable, "Autumn is down"));
        var tag = request.Use?.Kind switch { FileUseKind.InstanceLogo => "banners", FileUseKind.InstanceIcon => "icons", _ => null }
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "not the instance's own"));
        var data = request.Data.ToByteArray();
        if (data.Length == 0) throw Refused("{\"type\":\"FileTooSmall\"}");
        if (data.Length > StoreLimits[tag]) throw Refused($"{{\"type\":\"FileTooLarge\",\"max\":{StoreLimits[tag]}}}");
        if (!IsImage(data)) throw Refused("{\"type\":\"FileTypeNotAllowed\"}");
        var id = Identity.SecureTokens.NewId();
        var file = new ProtoFile
        {
            Id = id, Tag = tag, Filename = request.Filename, ContentType = "image/png", Size = data.Length,
            Metadata = new FileMetadata { Type = "Image", Width = 1, Height = 1 },
        };
        lock (_lock) _uploads[id] = new UploadedFile(file, "instance", data) { UsedFor = request.Use };
        return Task.FromResult(new StoreReply { File = file });
    }

    private static RpcException Refused(string error) => new(new Status(StatusCode.InvalidArgument, error));

    private static bool IsImage(ReadOnlySpan<byte> data) =>
        data.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47 }) || data.StartsWith(new byte[] { 0xFF, 0xD8, 0xFF }) || data.StartsWith("GIF8"u8)
        || (data.Length > 12 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8));

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
