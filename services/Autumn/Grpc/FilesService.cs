using Grpc.Core;
using Spokes.Autumn.Records;
using Spokes.Contracts.Files.V1;

namespace Spokes.Autumn.Grpc;

/// <summary>files.proto's Files service: the Api claims, releases and reports files here; Autumn keeps the records.</summary>
public sealed class FilesService(IFileRecordStore records) : Contracts.Files.V1.Files.FilesBase
{
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
        foreach (var file in outcome.Claimed)
        {
            var stored = await records.GetObjectAsync(file.Hash, context.CancellationToken)
                ?? throw new RpcException(new Status(StatusCode.NotFound, file.Id));
            reply.Files.Add(new Contracts.Files.V1.File
            {
                Id = file.Id, Tag = file.Tag, Filename = file.Filename, ContentType = stored.ContentType, Size = stored.Size,
                Metadata = new Contracts.Files.V1.FileMetadata { Type = stored.Metadata.Type, Width = stored.Metadata.Width, Height = stored.Metadata.Height },
            });
        }
        return reply;
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
}
