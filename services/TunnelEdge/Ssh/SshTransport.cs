using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>SSH message numbers (RFC 4250 §4.1) this server reads or writes.</summary>
public static class SshMessage
{
    public const byte Disconnect = 1, Ignore = 2, Unimplemented = 3, Debug = 4, ServiceRequest = 5, ServiceAccept = 6, ExtInfo = 7;
    public const byte KexInit = 20, NewKeys = 21, KexEcdhInit = 30, KexEcdhReply = 31;
    public const byte UserauthRequest = 50, UserauthFailure = 51, UserauthSuccess = 52, UserauthBanner = 53, UserauthPkOk = 60;
    public const byte GlobalRequest = 80, RequestSuccess = 81, RequestFailure = 82;
    public const byte ChannelOpen = 90, ChannelOpenConfirmation = 91, ChannelOpenFailure = 92, ChannelWindowAdjust = 93, ChannelData = 94,
        ChannelExtendedData = 95, ChannelEof = 96, ChannelClose = 97, ChannelRequest = 98, ChannelSuccess = 99, ChannelFailure = 100;
}

/// <summary>The peer broke the protocol, or a key exchange could not agree: the connection ends.</summary>
public sealed class SshProtocolException(string message) : Exception(message);

/// <summary>
/// SSH's transport layer (RFC 4253) for the edge's server side, with one set of algorithms that stock OpenSSH
/// clients offer by default: ecdh-sha2-nistp256 key exchange, an ecdsa-sha2-nistp256 host key and
/// aes256-gcm@openssh.com (RFC 5647), all on .NET's own cryptography. Key re-exchanges the client starts are
/// answered. Transport messages (ignore, debug, key exchange) never reach the caller of <see cref="ReceiveAsync"/>.
/// </summary>
public sealed class SshTransport : IAsyncDisposable
{
    public const string ServerVersion = "SSH-2.0-SpokesEdge";
    private const string Kex = "ecdh-sha2-nistp256";
    private const string HostKeyAlgorithm = "ecdsa-sha2-nistp256";
    private const string Cipher = "aes256-gcm@openssh.com";
    private const int MaxPacketLength = 256 * 1024 + 1024;

    private readonly Stream _stream;
    private readonly ECDsa _hostKey;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly byte[] _lengthBuffer = new byte[4];
    private GcmDirection? _incoming;
    private GcmDirection? _outgoing;
    private byte[]? _ourKexInit;
    private bool _extInfoSent;

    public SshTransport(Stream stream, ECDsa hostKey)
    {
        _stream = stream;
        _hostKey = hostKey;
    }

    /// <summary>The client's identification line (without CR LF), e.g. <c>SSH-2.0-OpenSSH_9.2p1 Debian-2</c>.</summary>
    public string ClientVersion { get; private set; } = "";

    /// <summary>The first exchange hash: what user authentication signatures cover.</summary>
    public byte[] SessionId { get; private set; } = [];

    /// <summary>Exchanges identification lines and sends the server's KEXINIT; the exchange itself runs on the client's.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(ServerVersion + "\r\n"), cancellationToken);
        // Lines before the identification are allowed (RFC 4253 §4.2); a few, short.
        for (var line = 0; line < 20; line++)
        {
            var text = await ReadLineAsync(cancellationToken);
            if (!text.StartsWith("SSH-", StringComparison.Ordinal)) continue;
            if (!text.StartsWith("SSH-2.0-", StringComparison.Ordinal) && !text.StartsWith("SSH-1.99-", StringComparison.Ordinal))
                throw new SshProtocolException($"The client speaks {text}, not SSH 2.");
            ClientVersion = text;
            await _sending.WaitAsync(cancellationToken);
            try
            {
                await SendKexInitAsync(cancellationToken);
            }
            finally
            {
                _sending.Release();
            }
            return;
        }
        throw new SshProtocolException("The client sent no SSH identification.");
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>(64);
        var one = new byte[1];
        while (true)
        {
            await _stream.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == '\n') break;
            if (line.Count >= 255) throw new SshProtocolException("The client's identification line is too long.");
            line.Add(one[0]);
        }
        return Encoding.ASCII.GetString(line.ToArray()).TrimEnd('\r');
    }

    /// <summary>The next message for the layers above; null when the client disconnected.</summary>
    public async Task<byte[]?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var payload = await ReadPacketAsync(cancellationToken);
            switch (payload[0])
            {
                case SshMessage.Disconnect:
                    return null;
                case SshMessage.Ignore or SshMessage.Debug or SshMessage.Unimplemented:
                    continue;
                case SshMessage.KexInit:
                    await ExchangeKeysAsync(payload, cancellationToken);
                    continue;
                default:
                    return payload;
            }
        }
    }

    public Task SendAsync(SshWriter message, CancellationToken cancellationToken) => SendAsync(message.ToArray(), cancellationToken);

    public async Task SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await WritePacketAsync(payload, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Tells the client why the connection ends (best effort).</summary>
    public async Task DisconnectAsync(uint reason, string description)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendAsync(new SshWriter(SshMessage.Disconnect).UInt32(reason).Text(description).Text(""), timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task SendKexInitAsync(CancellationToken cancellationToken)
    {
        var message = new SshWriter(SshMessage.KexInit).Raw(RandomNumberGenerator.GetBytes(16))
            .NameList(Kex).NameList(HostKeyAlgorithm)
            .NameList(Cipher).NameList(Cipher)
            .NameList("hmac-sha2-256").NameList("hmac-sha2-256")
            .NameList("none").NameList("none")
            .NameList().NameList()
            .Boolean(false).UInt32(0);
        _ourKexInit = message.ToArray();
        await WritePacketAsync(_ourKexInit, cancellationToken);
    }

    /// <summary>
    /// One key exchange, begun by the client's KEXINIT. Sending is held for its whole length, so nothing else is
    /// sent between the KEXINITs and NEWKEYS (RFC 4253 §7.1).
    /// </summary>
    private async Task ExchangeKeysAsync(byte[] clientKexInit, CancellationToken cancellationToken)
    {
        var reader = new SshReader(clientKexInit);
        reader.Byte();
        for (var i = 0; i < 16; i++) reader.Byte();
        var kexAlgorithms = reader.NameList();
        var hostKeyAlgorithms = reader.NameList();
        var ciphersIn = reader.NameList();
        var ciphersOut = reader.NameList();
        reader.NameList();
        reader.NameList();
        var compressionIn = reader.NameList();
        var compressionOut = reader.NameList();
        reader.NameList();
        reader.NameList();
        var guessFollows = reader.Boolean();
        if (!kexAlgorithms.Contains(Kex) || !hostKeyAlgorithms.Contains(HostKeyAlgorithm) || !ciphersIn.Contains(Cipher)
            || !ciphersOut.Contains(Cipher) || !compressionIn.Contains("none") || !compressionOut.Contains("none"))
            throw new SshProtocolException($"The client offers none of this server's algorithms ({Kex}, {HostKeyAlgorithm}, {Cipher}).");
        var clientWantsExtInfo = kexAlgorithms.Contains("ext-info-c");

        await _sending.WaitAsync(cancellationToken);
        try
        {
            if (_ourKexInit is null) await SendKexInitAsync(cancellationToken);
            // A wrong guess of the first key exchange packet is dropped unread (§7).
            if (guessFollows && kexAlgorithms[0] != Kex) await ReadPacketAsync(cancellationToken);
            var init = await ReadPacketAsync(cancellationToken);
            if (init[0] != SshMessage.KexEcdhInit) throw new SshProtocolException($"Expected the client's ECDH key, got message {init[0]}.");
            var initReader = new SshReader(init);
            initReader.Byte();
            var clientPublic = initReader.Bytes().ToArray();
            if (clientPublic.Length != 65 || clientPublic[0] != 4) throw new SshProtocolException("The client's ECDH key is not an uncompressed P-256 point.");

            using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var ours = ephemeral.ExportParameters(false).Q;
            byte[] shared;
            using (var theirs = ECDiffieHellman.Create(new ECParameters
                   {
                       Curve = ECCurve.NamedCurves.nistP256,
                       Q = new ECPoint { X = clientPublic[1..33], Y = clientPublic[33..] },
                   }))
            {
                shared = ephemeral.DeriveRawSecretAgreement(theirs.PublicKey);
            }
            var serverPublic = new byte[65];
            serverPublic[0] = 4;
            ours.X!.CopyTo(serverPublic, 1);
            ours.Y!.CopyTo(serverPublic, 33);
            var hostKeyBlob = HostKeyBlob(_hostKey);

            var exchange = SshWriter.Raw(1024)
                .Text(ClientVersion).Text(ServerVersion)
                .Bytes(clientKexInit).Bytes(_ourKexInit!)
                .Bytes(hostKeyBlob).Bytes(clientPublic).Bytes(serverPublic)
                .UnsignedMpint(shared);
            var hash = SHA256.HashData(exchange.Written);
            if (SessionId.Length == 0) SessionId = hash;

            var signature = _hostKey.SignData(hash, HashAlgorithmName.SHA256);
            var signatureBlob = SshWriter.Raw().Text(HostKeyAlgorithm)
                .Bytes(SshWriter.Raw().UnsignedMpint(signature.AsSpan(0, 32)).UnsignedMpint(signature.AsSpan(32)).Written).ToArray();
            await WritePacketAsync(new SshWriter(SshMessage.KexEcdhReply).Bytes(hostKeyBlob).Bytes(serverPublic).Bytes(signatureBlob).ToArray(), cancellationToken);
            await WritePacketAsync(new[] { SshMessage.NewKeys }, cancellationToken);

            var secret = SshWriter.Raw().UnsignedMpint(shared).ToArray();
            _outgoing?.Dispose();
            _outgoing = new GcmDirection(Derive(secret, hash, 'D', 32), Derive(secret, hash, 'B', 12));
            var incoming = new GcmDirection(Derive(secret, hash, 'C', 32), Derive(secret, hash, 'A', 12));
            _ourKexInit = null;
            // The server's extensions (RFC 8308): which signature algorithms it checks, so RSA keys sign with SHA-2.
            if (clientWantsExtInfo && !_extInfoSent)
            {
                _extInfoSent = true;
                await WritePacketAsync(new SshWriter(SshMessage.ExtInfo).UInt32(1).Text("server-sig-algs").Text(SshPublicKeys.SignatureAlgorithms).ToArray(), cancellationToken);
            }

            var newKeys = await ReadPacketAsync(cancellationToken);
            if (newKeys[0] != SshMessage.NewKeys) throw new SshProtocolException($"Expected NEWKEYS, got message {newKeys[0]}.");
            _incoming?.Dispose();
            _incoming = incoming;
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Key material (RFC 4253 §7.2): HASH(K || H || letter || session_id), extended while too short.</summary>
    private byte[] Derive(byte[] secret, byte[] hash, char letter, int length)
    {
        var material = SHA256.HashData(SshWriter.Raw().Raw(secret).Raw(hash).Byte((byte)letter).Raw(SessionId).Written);
        while (material.Length < length) material = [.. material, .. SHA256.HashData(SshWriter.Raw().Raw(secret).Raw(hash).Raw(material).Written)];
        return material[..length];
    }

    public static byte[] HostKeyBlob(ECDsa key)
    {
        var q = key.ExportParameters(false).Q;
        return SshWriter.Raw().Text(HostKeyAlgorithm).Text("nistp256").Bytes([4, .. q.X!, .. q.Y!]).ToArray();
    }

    private async Task<byte[]> ReadPacketAsync(CancellationToken cancellationToken)
    {
        await _stream.ReadExactlyAsync(_lengthBuffer, cancellationToken);
        var length = BinaryPrimitives.ReadUInt32BigEndian(_lengthBuffer);
        if (length is < 5 or > MaxPacketLength) throw new SshProtocolException($"A packet of {length} bytes is out of bounds.");
        var tagLength = _incoming is null ? 0 : GcmDirection.TagLength;
        var body = new byte[length + tagLength];
        await _stream.ReadExactlyAsync(body, cancellationToken);
        if (_incoming is not null)
        {
            if (length % 16 != 0) throw new SshProtocolException("An encrypted packet is not a whole number of blocks.");
            try
            {
                _incoming.Decrypt(_lengthBuffer, body.AsSpan(0, (int)length), body.AsSpan((int)length));
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new SshProtocolException("A packet failed its integrity check.");
            }
        }
        var padding = body[0];
        if (padding < 4 || padding + 1 >= length) throw new SshProtocolException("A packet's padding is out of bounds.");
        return body[1..(int)(length - padding)];
    }

    /// <summary>Writes one packet; the caller holds <see cref="_sending"/>.</summary>
    private async Task WritePacketAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var blockSize = _outgoing is null ? 8 : 16;
        // The length field is outside the encrypted part for AES-GCM and inside the padded part otherwise.
        var covered = _outgoing is null ? 4 + 1 + payload.Length : 1 + payload.Length;
        var padding = blockSize - covered % blockSize;
        if (padding < 4) padding += blockSize;
        var length = 1 + payload.Length + padding;
        var tagLength = _outgoing is null ? 0 : GcmDirection.TagLength;
        var packet = new byte[4 + length + tagLength];
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)length);
        packet[4] = (byte)padding;
        payload.Span.CopyTo(packet.AsSpan(5));
        RandomNumberGenerator.Fill(packet.AsSpan(5 + payload.Length, padding));
        _outgoing?.Encrypt(packet.AsSpan(0, 4), packet.AsSpan(4, length), packet.AsSpan(4 + length));
        await _stream.WriteAsync(packet, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _incoming?.Dispose();
        _outgoing?.Dispose();
    }

    /// <summary>One direction of aes256-gcm@openssh.com: the length is authenticated, not encrypted; the nonce's last 8 bytes count packets.</summary>
    private sealed class GcmDirection(byte[] key, byte[] nonce) : IDisposable
    {
        public const int TagLength = 16;
        private readonly AesGcm _aes = new(key, TagLength);

        public void Encrypt(ReadOnlySpan<byte> lengthField, Span<byte> data, Span<byte> tag)
        {
            _aes.Encrypt(nonce, data, data, tag, lengthField);
            Advance();
        }

        public void Decrypt(ReadOnlySpan<byte> lengthField, Span<byte> data, ReadOnlySpan<byte> tag)
        {
            _aes.Decrypt(nonce, data, tag, data, lengthField);
            Advance();
        }

        private void Advance() => BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), BinaryPrimitives.ReadUInt64BigEndian(nonce.AsSpan(4)) + 1);

        public void Dispose() => _aes.Dispose();
    }
}
