using System.Net;
using System.Net.Sockets;

namespace Spokes.Egress;

/// <summary>
/// Which addresses a fetch of a user-chosen URL may connect to: public unicast only. Everything else reaches the
/// suite's own network (loopback, private, link-local with the cloud metadata service, CGNAT, ULA) or is not meant
/// to be reached at all (documentation, benchmark, reserved, multicast). IPv6 forms that embed an IPv4 address are
/// judged by the address they embed.
/// </summary>
public static class PublicAddresses
{
    private static readonly (uint Network, int Bits)[] NonPublicV4 =
    [
        (V4(0, 0, 0, 0), 8),        // "this network"
        (V4(10, 0, 0, 0), 8),       // private
        (V4(100, 64, 0, 0), 10),    // CGNAT shared address space
        (V4(127, 0, 0, 0), 8),      // loopback
        (V4(169, 254, 0, 0), 16),   // link-local, incl. 169.254.169.254 metadata services
        (V4(172, 16, 0, 0), 12),    // private
        (V4(192, 0, 0, 0), 24),     // IETF protocol assignments
        (V4(192, 0, 2, 0), 24),     // documentation TEST-NET-1
        (V4(192, 88, 99, 0), 24),   // 6to4 relay anycast (deprecated)
        (V4(192, 168, 0, 0), 16),   // private
        (V4(198, 18, 0, 0), 15),    // benchmarking
        (V4(198, 51, 100, 0), 24),  // documentation TEST-NET-2
        (V4(203, 0, 113, 0), 24),   // documentation TEST-NET-3
        (V4(224, 0, 0, 0), 4),      // multicast
        (V4(240, 0, 0, 0), 4),      // reserved, incl. broadcast 255.255.255.255
    ];

    public static bool IsPublic(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => IsPublicV4(ToUInt32(address)),
        AddressFamily.InterNetworkV6 => IsPublicV6(address),
        _ => false,
    };

    private static bool IsPublicV4(uint address)
    {
        foreach (var (network, bits) in NonPublicV4)
        {
            if ((address & Mask(bits)) == network) return false;
        }
        return true;
    }

    private static bool IsPublicV6(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return IsPublicV4(ToUInt32(address.MapToIPv4()));
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);

        // NAT64 well-known prefix 64:ff9b::/96 reaches the IPv4 address in its last four bytes.
        if (StartsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return IsPublicV4(ReadV4(bytes[12..]));
        // Only global unicast 2000::/3 is public; this excludes ::, ::1, IPv4-compatible ::a.b.c.d, ULA fc00::/7,
        // link-local fe80::/10, site-local fec0::/10, multicast ff00::/8 and the local-use NAT64 64:ff9b:1::/48.
        if ((bytes[0] & 0xE0) != 0x20) return false;
        // 2001::/23 IETF protocol assignments (Teredo 2001::/32 hides an IPv4 address), 2001:db8::/32 and 3fff::/20
        // documentation.
        if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] < 0x02) return false;
        if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) return false;
        if (bytes[0] == 0x3f && bytes[1] == 0xff && bytes[2] < 0x10) return false;
        // 6to4 2002::/16 carries the IPv4 address it reaches in bytes 2–5.
        if (bytes[0] == 0x20 && bytes[1] == 0x02) return IsPublicV4(ReadV4(bytes[2..6]));
        return true;
    }

    private static bool StartsWith(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> prefix) => bytes[..prefix.Length].SequenceEqual(prefix);

    private static uint ReadV4(ReadOnlySpan<byte> bytes) =>
        (uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3];

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return ReadV4(bytes);
    }

    private static uint V4(byte a, byte b, byte c, byte d) => (uint)a << 24 | (uint)b << 16 | (uint)c << 8 | d;

    private static uint Mask(int bits) => bits == 0 ? 0 : uint.MaxValue << (32 - bits);
}
