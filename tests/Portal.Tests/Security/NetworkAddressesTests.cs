using System.Net;
using Portal.Security;

namespace Portal.Tests.Security;

public class NetworkAddressesTests
{
    /// <summary>Every spelling of internal space the guard must refuse, with what it is.</summary>
    public static TheoryData<string, string> Internal => new()
    {
        { "0.0.0.0", "unspecified" },
        { "0.1.2.3", "0.0.0.0/8" },
        { "10.0.0.5", "private" },
        { "100.64.0.1", "shared 100.64.0.0/10" },
        { "100.127.255.254", "shared 100.64.0.0/10, last" },
        { "127.0.0.1", "loopback" },
        { "127.8.9.10", "loopback /8" },
        { "169.254.169.254", "metadata" },
        { "172.16.0.1", "private" },
        { "172.31.255.255", "private, last" },
        { "192.0.0.8", "IETF protocol assignments" },
        { "192.0.2.1", "documentation" },
        { "192.88.99.1", "6to4 relay anycast" },
        { "192.168.1.1", "private" },
        { "198.18.0.1", "benchmarking 198.18.0.0/15" },
        { "198.19.255.254", "benchmarking, last" },
        { "198.51.100.7", "documentation" },
        { "203.0.113.9", "documentation" },
        { "224.0.0.1", "multicast" },
        { "239.255.255.250", "multicast" },
        { "240.0.0.1", "reserved" },
        { "255.255.255.255", "broadcast" },
        { "::", "IPv6 unspecified" },
        { "::1", "IPv6 loopback" },
        { "::127.0.0.1", "IPv4-compatible loopback" },
        { "::169.254.169.254", "IPv4-compatible metadata" },
        { "::8.8.8.8", "IPv4-compatible (deprecated form, refused whole)" },
        { "::ffff:127.0.0.1", "IPv4-mapped loopback" },
        { "::ffff:7f00:1", "IPv4-mapped loopback, hex" },
        { "::ffff:169.254.169.254", "IPv4-mapped metadata" },
        { "::ffff:198.18.0.1", "IPv4-mapped benchmarking" },
        { "::ffff:0:127.0.0.1", "SIIT IPv4-translated loopback" },
        { "64:ff9b::a9fe:a9fe", "NAT64 of the metadata address" },
        { "64:ff9b::7f00:1", "NAT64 of loopback" },
        { "64:ff9b::10.0.0.1", "NAT64 of private" },
        { "64:ff9b::100.64.0.1", "NAT64 of shared" },
        { "64:ff9b:1::8.8.8.8", "local-use NAT64 64:ff9b:1::/48, refused whole" },
        { "64:ff9b:1:ffff::1", "local-use NAT64, another address" },
        { "2002:a9fe:a9fe::1", "6to4 of the metadata address" },
        { "2002:7f00:1::1", "6to4 of loopback" },
        { "2002:c0a8:101::1", "6to4 of private" },
        { "2001::1", "Teredo, refused whole" },
        { "2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo with an embedded client" },
        { "2001:2::1", "IPv6 benchmarking" },
        { "2001:db8::1", "IPv6 documentation" },
        { "3fff::1", "IPv6 documentation 3fff::/20" },
        { "100::1", "discard-only" },
        { "fc00::1", "unique local" },
        { "fd12:3456::1", "unique local" },
        { "fe80::1", "link-local" },
        { "fec0::1", "site-local" },
        { "ff02::1", "multicast" },
        { "ff0e::1", "global multicast" },
    };

    [Theory]
    [MemberData(nameof(Internal))]
    public void InternalAddressesAreNotPublic(string address, string what) =>
        Assert.False(NetworkAddresses.IsPublic(IPAddress.Parse(address)), $"{address} ({what}) passed as public.");

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.215.14")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.1")]
    [InlineData("169.253.0.1")]
    [InlineData("223.255.255.254")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    public void PublicAddressesPass(string address) =>
        Assert.True(NetworkAddresses.IsPublic(IPAddress.Parse(address)));
}
