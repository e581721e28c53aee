using System.Text;
using Spokes.Autumn.Files;

namespace Spokes.Autumn.Tests;

public sealed class MimeSnifferTests
{
    [Theory]
    [InlineData("%PDF-1.7", "application/pdf")]
    [InlineData("GIF89a....", "image/gif")]
    [InlineData("RIFF\0\0\0\0WEBPVP8 ", "image/webp")]
    [InlineData("\0\0\0\u0018ftypisom", "video/mp4")]
    [InlineData("\0\0\0\u0018ftypavif", "image/avif")]
    [InlineData("OggS\0", "audio/ogg")]
    [InlineData("hello, world\n", "text/plain")]
    [InlineData("<html><script>alert(1)</script>", "text/plain")]
    [InlineData("\0\u0001\u0002binary", "application/octet-stream")]
    public void The_type_comes_from_the_bytes(string head, string expected) =>
        Assert.Equal(expected, MimeSniffer.Sniff(Encoding.Latin1.GetBytes(head)));

    [Fact]
    public void Images_are_told_by_their_signatures()
    {
        Assert.Equal("image/png", MimeSniffer.Sniff(TestFiles.Png()));
        Assert.Equal("image/jpeg", MimeSniffer.Sniff(TestFiles.Jpeg()));
    }

    [Fact]
    public void Text_cut_inside_a_character_is_still_text() =>
        Assert.Equal("text/plain", MimeSniffer.Sniff(Encoding.UTF8.GetBytes("naïve café é")[..^1]));
}
