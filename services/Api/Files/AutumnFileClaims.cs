using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Spokes.Api.Errors;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;
using Spokes.Contracts.Internal;
using ProtoFile = Spokes.Contracts.Files.V1.File;
using FileMetadata = Spokes.Api.Storage.FileMetadata;

namespace Spokes.Api.Files;

/// <summary>Claims over Autumn's <c>Files</c> gRPC service.</summary>
public sealed class AutumnFileClaims(Contracts.Files.V1.Files.FilesClient client) : IFileClaims
{
    public async Task<IReadOnlyList<AutumnFile>> ClaimAsync(IReadOnlyList<string> ids, string tag, string uploaderId, FileUse use,
        CancellationToken cancellationToken)
    {
        var request = new ClaimRequest { Tag = tag, UploaderId = uploaderId, Use = use };
        request.Ids.AddRange(ids);
        try
        {
            var reply = await client.ClaimAsync(request, cancellationToken: cancellationToken);
            return reply.Files.Select(f => ToStoat(f, use)).ToList();
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            throw StoatException.UnknownAttachment();
        }
    }

    public async Task ReleaseAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var request = new ReleaseRequest();
        request.Ids.AddRange(ids);
        await client.ReleaseAsync(request, cancellationToken: cancellationToken);
    }

    public async Task MarkReportedAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var request = new MarkReportedRequest();
        request.Ids.AddRange(ids);
        await client.MarkReportedAsync(request, cancellationToken: cancellationToken);
    }

    public async Task<AutumnFile> StoreAsync(FileUse use, string filename, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var request = new StoreRequest { Use = use, Filename = filename, Data = ByteString.CopyFrom(data.Span) };
        try
        {
            return ToStoat((await client.StoreAsync(request, cancellationToken: cancellationToken)).File, use);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument && RefusalOf(e.Status.Detail) is { } refused)
        {
            throw refused;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            throw new FileServerUnavailableException("Autumn, the file server, is not answering.", e);
        }
    }

    /// <summary>Store's refusal: Stoat's error JSON in the status detail (files.proto).</summary>
    private static FileRefusedException? RefusalOf(string detail)
    {
        try
        {
            var error = JsonDocument.Parse(detail).RootElement;
            return error.TryGetProperty("type", out var type) && type.GetString() is { } name
                ? new FileRefusedException(name, error.TryGetProperty("max", out var max) && max.TryGetInt64(out var limit) ? limit : null)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Autumn's answer as Stoat's <c>File</c>, naming what uses it as Stoat's schema does.</summary>
    public static AutumnFile ToStoat(ProtoFile file, FileUse use)
    {
        var metadata = file.Metadata?.Type is "Image" or "Video"
            ? new FileMetadata(file.Metadata.Type, file.Metadata.Width, file.Metadata.Height)
            : new FileMetadata(string.IsNullOrEmpty(file.Metadata?.Type) ? "File" : file.Metadata.Type);
        var stored = new AutumnFile(file.Id, file.Tag, file.Filename, metadata, file.ContentType, file.Size);
        return use.Kind switch
        {
            FileUseKind.Message => stored with { MessageId = use.Id },
            FileUseKind.UserAvatar or FileUseKind.UserBackground => stored with { UserId = use.Id },
            FileUseKind.ServerIcon or FileUseKind.ServerBanner => stored with { ServerId = use.Id },
            _ => stored with { ObjectId = use.Id },
        };
    }
}

/// <summary>Without Autumn no file can have been uploaded: every claim names an unknown file, and there is nothing to release.</summary>
public sealed class NoFileClaims : IFileClaims
{
    public Task<IReadOnlyList<AutumnFile>> ClaimAsync(IReadOnlyList<string> ids, string tag, string uploaderId, FileUse use,
        CancellationToken cancellationToken) => throw StoatException.UnknownAttachment();

    public Task ReleaseAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task MarkReportedAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<AutumnFile> StoreAsync(FileUse use, string filename, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        throw new FileServerUnavailableException("This Api has no Autumn (services__autumn__grpc__0) to keep files.");
}

public static class FileClaimsRegistration
{
    /// <summary>
    /// Autumn's gRPC endpoint as the AppHost injects it (<c>services__autumn__grpc__0</c>), called with the suite's
    /// internal key; without one the Api runs without files.
    /// </summary>
    public static IHostApplicationBuilder AddFileClaims(this IHostApplicationBuilder builder)
    {
        if (InternalClients.FindGrpcEndpoint(builder.Configuration, "autumn") is not { } autumn)
        {
            builder.Services.AddSingleton<IFileClaims, NoFileClaims>();
            return builder;
        }
        builder.AddInternalGrpcClient<Contracts.Files.V1.Files.FilesClient>(autumn);
        builder.Services.AddScoped<IFileClaims, AutumnFileClaims>();
        return builder;
    }
}
