using Spokes.TunnelEdge.Ssh;

namespace Spokes.TunnelEdge.Tests;

/// <summary>The public key lines `spokes ssh-keys add` takes: a .pub file's line, nothing else.</summary>
public sealed class SshAuthorizedKeyTests
{
    // ssh-keygen -t ed25519: a real key line (its blob names ssh-ed25519 and carries 32 bytes).
    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINA0dqebg4Nq4pTRgVFH+ePeQF/5qKOmhGFcqzXJePnN";

    [Fact]
    public void A_pub_file_line_is_taken_with_its_comment_and_openssh_fingerprint()
    {
        Assert.True(SshAuthorizedKey.TryParse($"  {Ed25519} alice@laptop  \n", out var key, out var error), error);
        Assert.Equal("ssh-ed25519", key.Type);
        Assert.Equal("alice@laptop", key.Comment);
        Assert.Equal(51, key.Blob.Length);
        Assert.StartsWith("SHA256:", key.Fingerprint);
        Assert.DoesNotContain("=", key.Fingerprint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ssh-ed25519")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP")]
    [InlineData("from=\"10.0.0.1\" " + Ed25519)]
    [InlineData("ssh-ed25519 not*base64")]
    [InlineData("ecdsa-sha2-nistp256 AAAAC3NzaC1lZDI1NTE5AAAAINA0dqebg4Nq4pTRgVFH+ePeQF/5qKOmhGFcqzXJePnN")]
    [InlineData("ssh-ed25519 AAAA")]
    public void Anything_but_a_supported_key_whose_blob_says_its_type_is_refused_with_a_reason(string line)
    {
        Assert.False(SshAuthorizedKey.TryParse(line, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void An_overlong_line_is_refused() =>
        Assert.False(SshAuthorizedKey.TryParse(Ed25519 + " " + new string('x', SshAuthorizedKey.MaxLineLength), out _, out _));
}
