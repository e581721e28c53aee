using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

// `Spokes.RelayFloor PORT [--tls]`: accepts connections on 127.0.0.1:PORT (TLS 1.3 with a self-signed
// certificate, as the edge's tunnel port, with --tls) and echoes on each. Every connection waits with a
// zero-byte read, holding no buffer, and the heap is collected every 5 s: what stays resident is what the
// runtime, OpenSSL and the connections themselves need.
if (args is not [var portText, .. var flags] || !int.TryParse(portText, out var port))
{
    Console.Error.WriteLine("usage: Spokes.RelayFloor PORT [--tls]");
    return 2;
}
var tls = flags.Contains("--tls") ? CreateTlsContext() : null;
using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
listener.Listen(512);
_ = CollectAsync();
Console.WriteLine($"listening on 127.0.0.1:{port}{(tls is null ? "" : " with TLS")}");
while (true) _ = EchoAsync(await listener.AcceptAsync(), tls);

static async Task EchoAsync(Socket socket, SslStreamCertificateContext? tls)
{
    socket.NoDelay = true;
    Stream stream = new NetworkStream(socket, ownsSocket: true);
    try
    {
        if (tls is not null)
        {
            var secure = new SslStream(stream);
            stream = secure;
            await secure.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = tls });
        }
        var buffer = new byte[1];
        int read;
        do
        {
            _ = await stream.ReadAsync(Memory<byte>.Empty);
            read = await stream.ReadAsync(buffer);
            await stream.WriteAsync(buffer.AsMemory(0, read));
        }
        while (read > 0);
    }
    catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException)
    {
    }
    finally
    {
        await stream.DisposeAsync();
    }
}

static SslStreamCertificateContext CreateTlsContext()
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var request = new CertificateRequest("CN=relay-floor", key, HashAlgorithmName.SHA256);
    using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    return SslStreamCertificateContext.Create(X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null), null);
}

static async Task CollectAsync()
{
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
    while (await timer.WaitForNextTickAsync()) GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
