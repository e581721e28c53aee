using System.Net;
using System.Net.Http.Json;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using Spokes.Contracts.Files.V1;

namespace Spokes.Autumn.Tests;

/// <summary>Uploads that pass, as they are stored and served back.</summary>
[Collection(AutumnCollection.Name)]
public sealed class FileServingTests(AutumnFixture autumn)
{
    private sealed record Uploaded(string Id);

    private async Task<string> UploadAsync(string tag, byte[] data, string filename, string token = "alice-token")
    {
        using var response = await AutumnFixture.UploadAsync(autumn.Client(token), tag, data, filename);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Uploaded>())!.Id;
    }

    /// <summary>Uploaded and claimed (unclaimed files are not served), as the Api would for <paramref name="use"/>.</summary>
    private async Task<string> UploadClaimedAsync(string tag, byte[] data, string filename, FileUseKind use)
    {
        var id = await UploadAsync(tag, data, filename);
        await autumn.Files().ClaimAsync(new ClaimRequest
        {
            Ids = { id }, Tag = tag, UploaderId = AutumnFixture.Users["alice-token"], Use = new FileUse { Kind = use, Id = "01OBJECT" + id[..8] },
        });
        return id;
    }

    [Fact]
    public async Task A_jpeg_with_gps_is_served_back_without_exif()
    {
        var upload = TestFiles.JpegWithGps();
        Assert.NotEmpty(ImageMetadataReader.ReadMetadata(new MemoryStream(upload)).OfType<GpsDirectory>());
        var id = await UploadClaimedAsync("attachments", upload, "holiday.jpg", FileUseKind.Message);

        var served = await autumn.Client(null).GetByteArrayAsync($"/attachments/{id}/holiday.jpg");

        var directories = ImageMetadataReader.ReadMetadata(new MemoryStream(served));
        Assert.Empty(directories.OfType<GpsDirectory>());
        Assert.Empty(directories.OfType<ExifDirectoryBase>());
    }

    [Fact]
    public async Task An_avif_avatar_is_taken_and_previewed()
    {
        var avif = NetVips.Image.Gaussnoise(300, 200).Cast(NetVips.Enums.BandFormat.Uchar)
            .HeifsaveBuffer(compression: NetVips.Enums.ForeignHeifCompression.Av1);
        var id = await UploadClaimedAsync("avatars", avif, "me.avif", FileUseKind.UserAvatar);

        using var response = await autumn.Client(null).GetAsync($"/avatars/{id}");

        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Stored_objects_are_ciphertext()
    {
        var marker = $"SPOKES-MARKER-{Guid.NewGuid():N}";
        await UploadAsync("attachments", TestFiles.TextWith(marker), "notes.txt");

        Assert.NotEmpty(autumn.StoredObjects());
        Assert.DoesNotContain(autumn.StoredObjects(), path => TestFiles.Contains(System.IO.File.ReadAllBytes(path), marker));
    }

    [Fact]
    public async Task The_same_bytes_uploaded_twice_are_stored_once()
    {
        var data = TestFiles.TextWith($"twice-{Guid.NewGuid():N}");
        var objectsBefore = autumn.StoredObjects().Count;
        var (filesBefore, _) = autumn.RecordCounts();

        var first = await UploadAsync("attachments", data, "a.txt");
        var second = await UploadAsync("attachments", data, "b.txt", token: "bob-token");

        Assert.NotEqual(first, second);
        Assert.Equal(objectsBefore + 1, autumn.StoredObjects().Count);
        Assert.Equal(filesBefore + 2, autumn.RecordCounts().Files);
    }

    [Fact]
    public async Task An_unclaimed_file_is_not_served()
    {
        var id = await UploadAsync("attachments", TestFiles.TextWith("unclaimed"), "a.txt");
        using var response = await autumn.Client(null).GetAsync($"/attachments/{id}/a.txt");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_avatar_preview_is_a_small_webp_with_the_served_headers()
    {
        var id = await UploadClaimedAsync("avatars", TestFiles.Png(600, 400), "me.png", FileUseKind.UserAvatar);

        using var response = await autumn.Client(null).GetAsync($"/avatars/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=604800, must-revalidate", response.Headers.NonValidated["Cache-Control"].ToString());
        AssertServedHeaders(response);
        var preview = NetVips.Image.NewFromBuffer(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((128, 85), (preview.Width, preview.Height));
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_previews_as_a_redirect_to_its_original()
    {
        var id = await UploadClaimedAsync("attachments", TestFiles.TextWith("text"), "read me.txt", FileUseKind.Message);

        using var response = await autumn.Client(null).GetAsync($"/attachments/{id}");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal($"{id}/read%20me.txt", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_original_is_an_attachment_answers_ranges_and_original_redirects_to_its_name()
    {
        var data = TestFiles.TextWith("ranges");
        var id = await UploadClaimedAsync("attachments", data, "r.txt", FileUseKind.Message);
        var client = autumn.Client(null);

        using var original = await client.GetAsync($"/attachments/{id}/original");
        Assert.Equal(HttpStatusCode.MovedPermanently, original.StatusCode);
        Assert.Equal("r.txt", original.Headers.Location?.OriginalString);

        using var wrongName = await client.GetAsync($"/attachments/{id}/other.txt");
        Assert.Equal(HttpStatusCode.NotFound, wrongName.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/attachments/{id}/r.txt");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9);
        using var ranged = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(data[..10], await ranged.Content.ReadAsByteArrayAsync());
        Assert.Equal("attachment", ranged.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("text/plain", ranged.Content.Headers.ContentType?.MediaType);
        AssertServedHeaders(ranged);
    }

    [Theory]
    [InlineData("/no/such/route")]
    [InlineData("/wallpapers/some-id")]
    public async Task A_path_outside_stoats_tags_is_an_unknown_route(string path)
    {
        using var response = await autumn.Client(null).GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"type\":\"NotFound\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Errors_carry_the_served_headers_too()
    {
        using var response = await autumn.Client(null).GetAsync("/attachments/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertServedHeaders(response);
    }

    [Fact]
    public async Task Operators_read_originals_with_an_admin_key_only()
    {
        var id = await UploadClaimedAsync("attachments", TestFiles.TextWith("evidence"), "e.txt", FileUseKind.Message);
        await autumn.Files().ReleaseAsync(new ReleaseRequest { Ids = { id } });
        var client = autumn.Client(null);

        using var withoutKey = await client.GetAsync($"/mod/attachments/{id}/e.txt");
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/mod/attachments/{id}/e.txt");
        request.Headers.Add("X-Admin-Token", AutumnFixture.AdminKey);
        using var withKey = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Equal("private, max-age=300, must-revalidate", withKey.Headers.NonValidated["Cache-Control"].ToString());

        using var released = await client.GetAsync($"/attachments/{id}/e.txt");
        Assert.Equal(HttpStatusCode.NotFound, released.StatusCode);
    }

    private static void AssertServedHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("default-src 'none'; sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
    }
}
