using System.Text.Json;
using Grpc.Core;
using Spokes.Autumn.Files;
using Spokes.Autumn.Records;
using Spokes.Contracts.Files.V1;

namespace Spokes.Autumn.Grpc;

/// <summary>files.proto's Files service: the Api claims, releases and reports files here; Autumn keeps the records.</summary>
public sealed class FilesService(IFileRecordStore records, UploadPipeline pipeline) : Contracts.Files.V1.Files.FilesBase
{
    /// <summary>What Autumn's own limits let through Store: the largest file any tag takes, and room for the message around it.</summary>
    public static int MaxStoreMessageSize(AutumnOptions options) => (int)Math.Min(int.MaxValue, options.SizeLimits.Values.DefaultIfEmpty(0).Max() + 64 * 1024);

    public override async Task<ClaimReply> Claim(ClaimRequest request, ServerCallContext context)
    {
        if (request.Use is null || FileClaims.TagFor(request.Use.Kind) != request.Tag || request.Use.Id.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Use {request.Use?.Kind} does not take files tagged '{request.Tag}'."));
        }
        if (request.Ids.Count == 0) return new ClaimReply();
        var usage = new FileUsage(request.Use.Kind, request.Use.Id, request.Use.ServerId);
        var outcome = await records.ClaimAsync(request.Ids, request.Tag, request.UploaderId, usage, context.CancellationToken);
        if (outcome.Refused is { } refused) throw new RpcException(new Status(StatusCode.NotFound, refused));
        var reply = new ClaimReply();
        foreach (var file in outcome.Claimed) reply.Files.Add(await DescribeAsync(file, context.CancellationToken));
        return reply;
    }

    public override async Task<StoreReply> Store(StoreRequest request, ServerCallContext context)
    {
        if (request.Use is null || FileClaims.InstanceTagFor(request.Use.Kind) is not { } tagName || request.Use.Id.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Use {request.Use?.Kind} is not one of the instance's own files."));
        }
        var tag = FileTag.All[tagName];
        string id;
        try
        {
            using var upload = await UploadPipeline.ReceiveAsync(new MemoryStream(request.Data.ToByteArray(), writable: false),
                string.IsNullOrWhiteSpace(request.Filename) ? "unnamed-file" : request.Filename, pipeline.LimitOf(tag), context.CancellationToken);
            id = await pipeline.StoreAsync(upload, tag, FileClaims.InstanceUploader, context.CancellationToken);
        }
        catch (AutumnException refused)
        {
            var error = new Dictionary<string, object> { ["type"] = refused.Error.Type };
            foreach (var (key, value) in refused.Error.Fields) error[key] = value;
            throw new RpcException(new Status(StatusCode.InvalidArgument, JsonSerializer.Serialize(error)));
        }
        var usage = new FileUsage(request.Use.Kind, request.Use.Id, request.Use.ServerId);
        var outcome = await records.ClaimAsync([id], tag.Name, FileClaims.InstanceUploader, usage, context.CancellationToken);
        if (outcome.Refused is { } refusedId) throw new RpcException(new Status(StatusCode.Internal, $"The stored file {refusedId} could not be claimed."));
        return new StoreReply { File = await DescribeAsync(outcome.Claimed[0], context.CancellationToken) };
    }

    public override async Task<ReleaseReply> Release(ReleaseRequest request, ServerCallContext context)
    {
        await records.ReleaseAsync(request.Ids, context.CancellationToken);
        return new ReleaseReply();
    }

    public override async Task<MarkReportedReply> MarkReported(MarkReportedRequest request, ServerCallContext context)
    {
        await records.MarkReportedAsync(request.Ids, context.CancellationToken);
        return new MarkReportedReply();
    }

    /// <summary>A claimed file as Stoat's <c>File</c>.</summary>
    private async Task<Contracts.Files.V1.File> DescribeAsync(FileRecord file, CancellationToken cancellationToken)
    {
        var stored = await records.GetObjectAsync(file.Hash, cancellationToken) ?? throw new RpcException(new Status(StatusCode.NotFound, file.Id));
        return new Contracts.Files.V1.File
        {
            Id = file.Id, Tag = file.Tag, Filename = file.Filename, ContentType = stored.ContentType, Size = stored.Size,
            Metadata = new Contracts.Files.V1.FileMetadata { Type = stored.Metadata.Type, Width = stored.Metadata.Width, Height = stored.Metadata.Height },
        };
    }
}
