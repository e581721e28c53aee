using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Autumn.Records;
using Spokes.Contracts.Files.V1;

namespace Spokes.Autumn.Tests;

/// <summary>
/// files.proto's Store, as the Api calls it for the instance's logo and icon before any user exists: Autumn's checks
/// apply, the file is claimed at once (cleanup keeps it, no user can take it), and a refusal stores nothing.
/// </summary>
[Collection(AutumnCollection.Name)]
public sealed class InstanceFileTests(AutumnFixture autumn)
{
    private static StoreRequest Store(FileUseKind kind, byte[] data, string filename = "logo.png") =>
        new() { Use = new FileUse { Kind = kind, Id = "instance" }, Filename = filename, Data = ByteString.CopyFrom(data) };

    private IFileRecordStore Records => autumn.Factory.Services.GetRequiredService<IFileRecordStore>();

    private async Task RefusedAndNothingStoredAsync(StoreRequest request, string type)
    {
        var objectsBefore = autumn.StoredObjects();
        var recordsBefore = autumn.RecordCounts();
        var error = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().StoreAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(type, JsonDocument.Parse(error.Status.Detail).RootElement.GetProperty("type").GetString());
        Assert.Equal(objectsBefore, autumn.StoredObjects());
        Assert.Equal(recordsBefore, autumn.RecordCounts());
    }

    [Fact]
    public async Task The_logo_is_stored_under_banners_claimed_for_the_instance_and_served_publicly()
    {
        var reply = await autumn.Files().StoreAsync(Store(FileUseKind.InstanceLogo, TestFiles.Png(300, 100)));

        Assert.Equal(("banners", "logo.png", "image/png", "Image", 300, 100),
            (reply.File.Tag, reply.File.Filename, reply.File.ContentType, reply.File.Metadata.Type, reply.File.Metadata.Width, reply.File.Metadata.Height));
        var record = await Records.GetFileAsync(reply.File.Id, default);
        Assert.Equal(new FileUsage(FileUseKind.InstanceLogo, "instance", ""), record!.UsedFor);
        Assert.False(record.Deleted);
        using var client = autumn.Client(token: null);
        using var preview = await client.GetAsync($"/banners/{reply.File.Id}");
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Equal("image/webp", preview.Content.Headers.ContentType!.MediaType);
        using var original = await client.GetAsync($"/banners/{reply.File.Id}/logo.png");
        Assert.Equal("image/png", original.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_icon_is_stored_under_icons_and_cleanup_of_unclaimed_uploads_leaves_it()
    {
        var reply = await autumn.Files().StoreAsync(Store(FileUseKind.InstanceIcon, TestFiles.Png(32, 32), "icon.png"));
        Assert.Equal("icons", reply.File.Tag);
        // Only unclaimed files expire: the instance's own is claimed from the start.
        await Records.DeleteUnclaimedAsync(DateTimeOffset.UtcNow.AddYears(1), default);
        Assert.False((await Records.GetFileAsync(reply.File.Id, default))!.Deleted);
    }

    [Fact]
    public async Task No_user_can_claim_the_instances_file_and_a_release_stops_serving_it()
    {
        var reply = await autumn.Files().StoreAsync(Store(FileUseKind.InstanceIcon, TestFiles.Png(16, 16), "icon.png"));
        var claim = new ClaimRequest { Ids = { reply.File.Id }, Tag = "icons", UploaderId = AutumnFixture.Users["alice-token"], Use = new FileUse { Kind = FileUseKind.ServerIcon, Id = "01SERVER" } };
        var refused = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().ClaimAsync(claim).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);

        await autumn.Files().ReleaseAsync(new ReleaseRequest { Ids = { reply.File.Id } });
        using var client = autumn.Client(token: null);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/icons/{reply.File.Id}")).StatusCode);
    }

    [Fact]
    public Task An_empty_file_is_FileTooSmall() => RefusedAndNothingStoredAsync(Store(FileUseKind.InstanceLogo, []), "FileTooSmall");

    [Fact]
    public Task A_file_that_is_no_image_is_FileTypeNotAllowed() =>
        RefusedAndNothingStoredAsync(Store(FileUseKind.InstanceIcon, TestFiles.TextWith("not a picture"), "icon.txt"), "FileTypeNotAllowed");

    [Fact]
    public async Task A_file_over_the_tags_limit_is_FileTooLarge_with_the_limit()
    {
        // Past gRPC's default message size too: Store takes what the largest tag does.
        var request = Store(FileUseKind.InstanceLogo, new byte[6_000_001]);
        var error = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().StoreAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var body = JsonDocument.Parse(error.Status.Detail).RootElement;
        Assert.Equal(("FileTooLarge", 6_000_000), (body.GetProperty("type").GetString(), body.GetProperty("max").GetInt64()));
    }

    [Fact]
    public async Task Only_the_instances_own_uses_are_stored_and_a_user_claim_cannot_name_them()
    {
        var avatar = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().StoreAsync(Store(FileUseKind.UserAvatar, TestFiles.Png())).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, avatar.StatusCode);
        var noUse = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().StoreAsync(new StoreRequest { Data = ByteString.CopyFrom(TestFiles.Png()) }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noUse.StatusCode);
        var claim = new ClaimRequest { Ids = { "any" }, Tag = "banners", UploaderId = "instance", Use = new FileUse { Kind = FileUseKind.InstanceLogo, Id = "instance" } };
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => autumn.Files().ClaimAsync(claim).ResponseAsync)).StatusCode);
    }

    [Fact]
    public async Task A_caller_without_the_internal_key_stores_nothing()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => autumn.Files(key: "wrong").StoreAsync(Store(FileUseKind.InstanceLogo, TestFiles.Png())).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }
}
