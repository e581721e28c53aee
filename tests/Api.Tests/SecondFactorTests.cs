using System.IO.Compression;
using System.Text;
using Spokes.Api.Identity;
using Spokes.Api.Users;

namespace Spokes.Api.Tests;

public class SecondFactorTests
{
    // RFC 6238 appendix B: the SHA-1 key "12345678901234567890"; its 8-digit codes end in these 6 digits.
    private static readonly string RfcSecret = Totp.Base32(Encoding.ASCII.GetBytes("12345678901234567890"));

    [Theory]
    [InlineData(59, "287082")]
    [InlineData(1111111109, "081804")]
    [InlineData(1111111111, "050471")]
    [InlineData(1234567890, "005924")]
    [InlineData(2000000000, "279037")]
    public void Codes_match_the_rfc_6238_test_vectors(long unixSeconds, string code) =>
        Assert.Equal(code, Totp.Code(RfcSecret, DateTimeOffset.FromUnixTimeSeconds(unixSeconds)));

    [Fact]
    public void A_code_is_accepted_one_step_either_side_and_not_beyond_or_malformed()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1234567890);
        Assert.True(Totp.Verify(RfcSecret, "005924", now));
        Assert.True(Totp.Verify(RfcSecret, "005 924", now.AddSeconds(29)));
        Assert.True(Totp.Verify(RfcSecret, Totp.Code(RfcSecret, now.AddSeconds(-30)), now));
        Assert.False(Totp.Verify(RfcSecret, Totp.Code(RfcSecret, now.AddSeconds(-90)), now));
        Assert.False(Totp.Verify(RfcSecret, "05924", now));
        Assert.False(Totp.Verify(RfcSecret, "abcdef", now));
        Assert.False(Totp.Verify(RfcSecret, null, now));
    }

    [Fact]
    public void Secrets_are_160_bit_base32_and_round_trip()
    {
        var secret = Totp.NewSecret();
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        Assert.Equal(secret, Totp.Base32(Totp.FromBase32(secret)));
        Assert.Equal("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", RfcSecret);
    }

    [Fact]
    public void A_recovery_code_is_used_once_and_others_stay()
    {
        var codes = RecoveryCodes.Generate();
        Assert.Equal(10, codes.Distinct().Count());
        var left = RecoveryCodes.Use(codes, codes[3].ToUpperInvariant());
        Assert.Equal(codes.Where((_, i) => i != 3), left);
        Assert.Null(RecoveryCodes.Use(left!, codes[3]));
        Assert.Null(RecoveryCodes.Use(codes, null));
    }

    [Fact]
    public void A_default_avatar_is_a_valid_png_that_depends_only_on_the_id()
    {
        var png = DefaultAvatar.Png("01HZY4J1V0Q3S6Q5ZC8R6T2W9A");
        Assert.Equal(png, DefaultAvatar.Png("01HZY4J1V0Q3S6Q5ZC8R6T2W9A"));
        Assert.NotEqual(png, DefaultAvatar.Png("01HZY4J1V0Q3S6Q5ZC8R6T2W9B"));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);

        // Walk the chunks: each CRC must hold, and the pixels must inflate to 256 rows of RGB.
        var chunks = new Dictionary<string, byte[]>();
        for (var at = 8; at < png.Length;)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png[(at + 8)..(at + 8 + length)];
            var crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(at + 4, 4 + length)), crc);
            chunks[type] = data;
            at += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Keys);
        Assert.Equal(256, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(chunks["IHDR"]));
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(chunks["IDAT"]), CompressionMode.Decompress)) zlib.CopyTo(inflated);
        Assert.Equal(256 * (1 + 256 * 3), inflated.Length);
    }
}
