using System.Net.Http.Json;
using Grpc.Core;
using Spokes.Contracts.Files.V1;

namespace Spokes.Autumn.Tests;

/// <summary>files.proto's Claim, as the Api calls it: all or nothing, once, by the uploader, for a use of the file's tag.</summary>
[Collection(AutumnCollection.Name)]
public sealed class ClaimTests(AutumnFixture autumn)
{
    private static readonly string Alice = AutumnFixture.Users["alice-token"];
    private static readonly string Bob = AutumnFixture.Users["bob-token"];

    private sealed record Uploaded(string Id);

    private async Task<string> UploadAsync(string tag, byte[]? data = null, string token = "alice-token")
    {
        using var response = await AutumnFixture.UploadAsync(autumn.Client(token), tag, data ?? TestFiles.Png(), "file.png");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Uploaded>())!.Id;
    }

    private static ClaimRequest Claim(string tag, string uploader, FileUseKind kind, params string[] ids) =>
        new() { Ids = { ids }, Tag = tag, UploaderId = uploader, Use = new FileUse { Kind = kind, Id = "01USE" + Guid.NewGuid().ToString("N")[..10] } };

    private async Task AssertNotFoundAsync(ClaimRequest request, string id)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().ClaimAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(id, error.Status.Detail);
    }

    [Fact]
    public async Task A_claim_gives_stoats_file_objects_in_the_order_asked()
    {
        var first = await UploadAsync("attachments", TestFiles.Png(30, 20));
        var second = await UploadAsync("attachments", TestFiles.TextWith($"claim-{Guid.NewGuid():N}"));

        var reply = await autumn.Files().ClaimAsync(Claim("attachments", Alice, FileUseKind.Message, second, first));

        Assert.Equal([second, first], reply.Files.Select(f => f.Id));
        Assert.Equal(("Image", 30, 20, "image/png"), (reply.Files[1].Metadata.Type, reply.Files[1].Metadata.Width, reply.Files[1].Metadata.Height, reply.Files[1].ContentType));
        Assert.Equal(("Text", "text/plain"), (reply.Files[0].Metadata.Type, reply.Files[0].ContentType));
    }

    [Fact]
    public async Task Someone_elses_file_cannot_be_claimed()
    {
        var id = await UploadAsync("avatars", token: "bob-token");
        await AssertNotFoundAsync(Claim("avatars", Alice, FileUseKind.UserAvatar, id), id);
        // Nothing was claimed: its uploader still can.
        await autumn.Files().ClaimAsync(Claim("avatars", Bob, FileUseKind.UserAvatar, id));
    }

    [Fact]
    public async Task A_file_is_claimed_once()
    {
        var id = await UploadAsync("avatars");
        await autumn.Files().ClaimAsync(Claim("avatars", Alice, FileUseKind.UserAvatar, id));
        await AssertNotFoundAsync(Claim("avatars", Alice, FileUseKind.BotAvatar, id), id);
    }

    [Fact]
    public async Task A_file_of_another_tag_cannot_be_claimed()
    {
        var id = await UploadAsync("attachments");
        await AssertNotFoundAsync(Claim("avatars", Alice, FileUseKind.UserAvatar, id), id);
        await autumn.Files().ClaimAsync(Claim("attachments", Alice, FileUseKind.Message, id));
    }

    [Fact]
    public async Task A_claim_is_all_or_nothing()
    {
        var good = await UploadAsync("attachments");
        var othersFile = await UploadAsync("attachments", token: "bob-token");

        await AssertNotFoundAsync(Claim("attachments", Alice, FileUseKind.Message, good, othersFile, "no-such-file"), othersFile);
        await AssertNotFoundAsync(Claim("attachments", Alice, FileUseKind.Message, good, good), good);

        await autumn.Files().ClaimAsync(Claim("attachments", Alice, FileUseKind.Message, good));
    }

    [Fact]
    public async Task A_released_file_cannot_be_claimed_and_release_is_repeatable()
    {
        var id = await UploadAsync("icons");
        await autumn.Files().ReleaseAsync(new ReleaseRequest { Ids = { id, "no-such-file" } });
        await autumn.Files().ReleaseAsync(new ReleaseRequest { Ids = { id } });
        await AssertNotFoundAsync(Claim("icons", Alice, FileUseKind.ServerIcon, id), id);
    }

    [Fact]
    public async Task A_use_that_does_not_take_the_tag_is_an_invalid_argument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => autumn.Files().ClaimAsync(Claim("attachments", Alice, FileUseKind.UserAvatar, "x")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Callers_without_the_internal_key_are_refused(string? key)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => autumn.Files(key).ReleaseAsync(new ReleaseRequest { Ids = { "x" } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }
}
