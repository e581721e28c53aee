using System.Security.Cryptography;
using Spokes.Autumn.Files;

namespace Spokes.Autumn.Tests;

/// <summary>Stoat's scheme (encryption_impl.rs): AES-256-GCM, a 12-byte nonce per object, the 16-byte tag appended.</summary>
public sealed class FileEncryptionTests
{
    // Stoat's own test key.
    private readonly FileEncryption _encryption = new("XkbJ8gBzrouQ+15Ri23xCC81+aZE26Z6+gXzglFxOD4=");

    [Fact]
    public void One_byte_seals_to_seventeen_and_opens_again_as_stoat_does()
    {
        byte[] buffer = [67, .. new byte[FileEncryption.TagSize]];
        var nonce = _encryption.SealInPlace(buffer);

        Assert.Equal(17, buffer.Length);
        Assert.Equal(FileEncryption.NonceSize, Convert.FromBase64String(nonce).Length);
        Assert.Equal([67], _encryption.Decrypt(buffer, nonce));
    }

    [Fact]
    public void Each_object_gets_its_own_nonce_and_a_changed_byte_is_refused()
    {
        byte[] first = [1, 2, 3, .. new byte[FileEncryption.TagSize]];
        byte[] second = [1, 2, 3, .. new byte[FileEncryption.TagSize]];
        Assert.NotEqual(_encryption.SealInPlace(first), _encryption.SealInPlace(second));

        var nonce = _encryption.SealInPlace(first);
        first[0] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => _encryption.Decrypt(first, nonce));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void A_key_that_is_not_32_bytes_of_base64_stops_the_service(string key) =>
        Assert.Throws<InvalidOperationException>(() => new FileEncryption(key));
}
