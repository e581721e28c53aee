using System.Net;
using System.Text.Json;

namespace Spokes.Autumn.Tests;

/// <summary>Bad uploads: each is told Stoat's error and leaves no object and no record behind.</summary>
[Collection(AutumnCollection.Name)]
public sealed class UploadRefusalTests(AutumnFixture autumn)
{
    private async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Equal(type, json.RootElement.GetProperty("type").GetString());
    }

    private async Task RefusedAndNothingStoredAsync(Func<Task<HttpResponseMessage>> upload, HttpStatusCode status, string type)
    {
        var objectsBefore = autumn.StoredObjects();
        var recordsBefore = autumn.RecordCounts();
        using var response = await upload();
        await AssertRefusedAsync(response, status, type);
        Assert.Equal(objectsBefore, autumn.StoredObjects());
        Assert.Equal(recordsBefore, autumn.RecordCounts());
    }

    [Fact]
    public Task An_upload_without_a_session_is_NotAuthenticated() =>
        RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client(token: null), "attachments", TestFiles.Png()),
            HttpStatusCode.Unauthorized, "NotAuthenticated");

    [Fact]
    public Task An_upload_with_an_unknown_session_is_InvalidSession() =>
        RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client("no-such-token"), "attachments", TestFiles.Png()),
            HttpStatusCode.Unauthorized, "InvalidSession");

    [Fact]
    public Task An_unknown_tag_is_not_found() =>
        RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client(), "wallpapers", TestFiles.Png()),
            HttpStatusCode.NotFound, "NotFound");

    [Fact]
    public Task A_pdf_is_not_an_avatar() =>
        RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client(), "avatars", TestFiles.Pdf(), "avatar.png"),
            HttpStatusCode.BadRequest, "FileTypeNotAllowed");

    [Fact]
    public async Task One_byte_over_a_tags_limit_is_FileTooLarge_with_the_limit()
    {
        var data = new byte[500_001];
        TestFiles.Png().CopyTo(data, 0);
        var objectsBefore = autumn.StoredObjects();
        using var response = await AutumnFixture.UploadAsync(autumn.Client(), "emojis", data);
        await AssertRefusedAsync(response, HttpStatusCode.UnprocessableEntity, "FileTooLarge");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(500_000, json.RootElement.GetProperty("max").GetInt64());
        Assert.Equal(objectsBefore, autumn.StoredObjects());
    }

    [Theory]
    [InlineData("avatars")]
    [InlineData("attachments")]
    public async Task A_png_bomb_is_refused_without_decoding_it(string tag)
    {
        var before = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
        await RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client(), tag, TestFiles.PngBomb(), "bomb.png"),
            HttpStatusCode.BadRequest, "FileTypeNotAllowed");
        // Decoded, the image is 2.5 GB: the process must not have grown by anything like it.
        System.Diagnostics.Process.GetCurrentProcess().Refresh();
        Assert.True(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 - before < 500_000_000);
    }

    [Fact]
    public Task A_truncated_image_is_refused() =>
        RefusedAndNothingStoredAsync(() =>
        {
            var jpeg = TestFiles.Jpeg(400, 300);
            return AutumnFixture.UploadAsync(autumn.Client(), "avatars", jpeg[..(jpeg.Length / 2)], "cut.jpg");
        }, HttpStatusCode.BadRequest, "FileTypeNotAllowed");

    [Fact]
    public Task An_empty_file_is_FileTooSmall() =>
        RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client(), "attachments", []),
            HttpStatusCode.UnprocessableEntity, "FileTooSmall");

    [Fact]
    public Task An_image_wider_than_10000_pixels_is_refused() =>
        RefusedAndNothingStoredAsync(() => AutumnFixture.UploadAsync(autumn.Client(), "banners", TestFiles.Png(10_001, 1)),
            HttpStatusCode.BadRequest, "FileTypeNotAllowed");

    [Fact]
    public Task A_body_without_a_file_field_is_refused() =>
        RefusedAndNothingStoredAsync(() =>
        {
            var content = new MultipartFormDataContent { { new StringContent("hello"), "other" } };
            return autumn.Client().PostAsync("/attachments", content);
        }, HttpStatusCode.BadRequest, "FailedValidation");
}
