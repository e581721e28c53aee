using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Spokes.TestSupport;

/// <summary>
/// A DNS server on a loopback UDP port that answers A and AAAA questions from a table the test controls, so a test
/// can make a public-looking name resolve to a private address, or change its answer between two lookups. It counts
/// the questions it was asked per name.
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly Dictionary<string, Func<int, IPAddress[]>> answers = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> asked = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task serving;

    public TestDnsServer() => serving = ServeAsync();

    public IPEndPoint EndPoint => (IPEndPoint)socket.Client.LocalEndPoint!;

    /// <summary>The name answers with these addresses every time.</summary>
    public void Answer(string name, params IPAddress[] addresses) => Answer(name, _ => addresses);

    /// <summary>The name answers by the number of A questions asked for it so far (1 for the first).</summary>
    public void Answer(string name, Func<int, IPAddress[]> byQuestion)
    {
        lock (answers) answers[name] = byQuestion;
    }

    public int QuestionsFor(string name)
    {
        lock (answers) return asked.GetValueOrDefault(name);
    }

    private async Task ServeAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await socket.ReceiveAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Reply(query.Buffer) is { } reply) await socket.SendAsync(reply, query.RemoteEndPoint);
        }
    }

    private byte[]? Reply(byte[] query)
    {
        if (query.Length < 12) return null;
        var labels = new List<string>();
        var offset = 12;
        while (offset < query.Length && query[offset] != 0)
        {
            var length = query[offset];
            if (offset + 1 + length > query.Length) return null;
            labels.Add(System.Text.Encoding.ASCII.GetString(query, offset + 1, length));
            offset += 1 + length;
        }
        var questionEnd = offset + 5;
        if (questionEnd > query.Length) return null;
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(offset + 1));
        var name = string.Join('.', labels);

        IPAddress[] addresses;
        lock (answers)
        {
            if (type == 1) asked[name] = asked.GetValueOrDefault(name) + 1;
            addresses = answers.TryGetValue(name, out var answer) ? answer(Math.Max(1, asked.GetValueOrDefault(name))) : [];
        }
        var family = type == 28 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var matching = addresses.Where(a => a.AddressFamily == family && type is 1 or 28).ToArray();

        using var reply = new MemoryStream();
        reply.Write(query, 0, 2);                                   // id
        reply.Write([0x81, 0x80]);                                  // response, recursion desired and available
        reply.Write([0, 1]);                                        // one question
        reply.Write([0, (byte)matching.Length, 0, 0, 0, 0]);        // answers; no authority or additional records
        reply.Write(query, 12, questionEnd - 12);
        foreach (var address in matching)
        {
            var bytes = address.GetAddressBytes();
            reply.Write([0xC0, 0x0C]);                              // the name: a pointer to the question's
            reply.Write([0, (byte)type, 0, 1, 0, 0, 0, 0, 0, (byte)bytes.Length]); // type, class IN, TTL 0, length
            reply.Write(bytes);
        }
        return reply.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        socket.Dispose();
        await serving;
        stopping.Dispose();
    }
}
