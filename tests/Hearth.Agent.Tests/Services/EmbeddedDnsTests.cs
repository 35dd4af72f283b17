using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hearth.Agent.Dns;
using Hearth.Core.Services;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Agent.Tests.Services;

/// <summary>
/// The embedded DNS's wire format and answers (over loopback; the container test is in the oci driver's tests).
/// </summary>
public sealed class EmbeddedDnsTests
{
    [Fact]
    public void A_query_is_read_and_its_answer_carries_the_question_and_one_A_record_per_address()
    {
        var request = Query(0xBEEF, "API.Example", DnsQuery.TypeA, recursion: true);
        var query = DnsQuery.TryParse(request)!;
        Assert.Equal(
            (0xBEEF, "API.Example", DnsQuery.TypeA, DnsQuery.ClassIn, true),
            (query.Id, query.Name, query.Type, query.Class, query.RecursionDesired)
        );
        Assert.True(query.IsQuery);

        var answer = DnsAnswer.Build(
            request,
            query,
            DnsAnswer.NoError,
            [IPAddress.Parse("10.89.0.2"), IPAddress.Parse("10.89.0.3")],
            5
        );
        Assert.Equal(0xBEEF, BinaryPrimitives.ReadUInt16BigEndian(answer));
        var flags = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(2));
        Assert.Equal(0x8000 | 0x0400 | 0x0100 | 0x0080, flags);
        Assert.Equal(
            [1, 2, 0, 0],
            Enumerable.Range(0, 4).Select(i => (int)BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(4 + 2 * i)))
        );
        Assert.Equal(
            request.AsSpan(12, query.QuestionEnd - 12).ToArray(),
            answer.AsSpan(12, query.QuestionEnd - 12).ToArray()
        );
        var records = Answers(answer, query.QuestionEnd);
        Assert.Equal([("10.89.0.2", 5u), ("10.89.0.3", 5u)], records);
    }

    [Fact]
    public void Messages_that_are_not_one_plain_question_are_not_queries()
    {
        var good = Query(1, "db", DnsQuery.TypeA);
        Assert.Null(DnsQuery.TryParse(good.AsSpan(0, 11)));
        Assert.Null(DnsQuery.TryParse(good.AsSpan(0, good.Length - 1)));
        var two = good.ToArray();
        two[5] = 2;
        Assert.Null(DnsQuery.TryParse(two));
        var pointer = good.ToArray();
        pointer[12] = 0xC0;
        Assert.Null(DnsQuery.TryParse(pointer));
        var error = DnsAnswer.Error(two, DnsAnswer.FormatError);
        Assert.Equal([0, 1, 0x80, 0x81], error[..4]);
        Assert.Equal(12, error.Length);
    }

    [Fact]
    public async Task Names_of_the_askers_networks_are_answered_others_get_empty_or_NXDOMAIN_and_dotted_ones_are_forwarded()
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var names = new ServiceNames();
        await using var dns = new EmbeddedDns(
            names,
            [(IPEndPoint)upstream.LocalEndPoint!],
            NullLogger.Instance,
            new EmbeddedDnsOptions { Port = 0, ForwardTimeout = TimeSpan.FromSeconds(1) }
        );
        await using (
            dns.Join(
                "sandbox-1",
                [new EmbeddedDns.Place("p/back", IPAddress.Parse("10.89.1.2"), IPAddress.Loopback, ["db", "database"])]
            )
        )
        {
            Assert.Equal([IPAddress.Loopback], dns.Gateways);
            names.SetServerView(
                "p/back",
                new NetworkNamesView(3, [new NameRecord("api", "10.89.1.7"), new NameRecord("API", "10.89.1.8")])
            );
            names.SetServerView("p/back", new NetworkNamesView(2, [new NameRecord("api", "10.89.1.99")]));
            names.SetServerView("p/front", new NetworkNamesView(1, [new NameRecord("web", "10.89.2.5")]));
            var asker = IPAddress.Parse("10.89.1.2");

            Assert.Equal(["10.89.1.2"], await AnswerAsync(dns, asker, "database.", DnsQuery.TypeA, DnsAnswer.NoError));
            Assert.Equal(
                ["10.89.1.7", "10.89.1.8"],
                (await AnswerAsync(dns, asker, "Api", DnsQuery.TypeA, DnsAnswer.NoError)).Order()
            );
            // A known name of another type: no records, no error (so the resolver does not look elsewhere).
            Assert.Empty(await AnswerAsync(dns, asker, "db", 28, DnsAnswer.NoError));
            // Names of a network the asker is not on are not its names.
            Assert.Empty(await AnswerAsync(dns, asker, "web", DnsQuery.TypeA, DnsAnswer.NameError));
            // An unknown address asking on a gateway gets that gateway's network.
            Assert.Equal(
                ["10.89.1.2"],
                await AnswerAsync(dns, IPAddress.Parse("10.89.1.200"), "db", DnsQuery.TypeA, DnsAnswer.NoError)
            );

            var forwarded = Query(0x1234, "example.org", DnsQuery.TypeA);
            var answering = Task.Run(async () =>
            {
                var buffer = new byte[512];
                var got = await upstream.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
                var query = DnsQuery.TryParse(buffer.AsSpan(0, got.ReceivedBytes))!;
                Assert.Equal("example.org", query.Name);
                var reply = DnsAnswer.Build(
                    buffer.AsSpan(0, got.ReceivedBytes),
                    query,
                    DnsAnswer.NoError,
                    [IPAddress.Parse("192.0.2.10")],
                    300
                );
                await upstream.SendToAsync(reply, SocketFlags.None, got.RemoteEndPoint);
            });
            var relayed = await dns.ResolveAsync(forwarded, asker, "p/back", CancellationToken.None);
            await answering;
            Assert.Equal([("192.0.2.10", 300u)], Answers(relayed, DnsQuery.TryParse(forwarded)!.QuestionEnd));

            // No answer upstream: SERVFAIL once the forward times out.
            var failed = await dns.ResolveAsync(
                Query(7, "nobody.example", DnsQuery.TypeA),
                asker,
                "p/back",
                CancellationToken.None
            );
            Assert.Equal(DnsAnswer.ServerFailure, failed[3] & 0xF);
        }
        // Once its last replica leaves, the gateway is not answered on and its local names are gone.
        Assert.Empty(dns.Gateways);
        Assert.Empty(names.Lookup(["p/back"], "db"));
    }

    private static async Task<IReadOnlyList<string>> AnswerAsync(
        EmbeddedDns dns,
        IPAddress client,
        string name,
        ushort type,
        byte rcode
    )
    {
        var request = Query(42, name, type);
        var answer = await dns.ResolveAsync(request, client, "p/back", CancellationToken.None);
        Assert.Equal(rcode, answer[3] & 0xF);
        return Answers(answer, DnsQuery.TryParse(request)!.QuestionEnd).Select(a => a.Address).ToList();
    }

    internal static byte[] Query(ushort id, string name, ushort type, bool recursion = true)
    {
        var bytes = new List<byte>();
        bytes.AddRange([(byte)(id >> 8), (byte)id, (byte)(recursion ? 0x01 : 0), 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }

    private static List<(string Address, uint Ttl)> Answers(byte[] message, int offset)
    {
        var count = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(6));
        var answers = new List<(string, uint)>();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(0xC00C, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset)));
            Assert.Equal(DnsQuery.TypeA, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset + 2)));
            Assert.Equal(4, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset + 10)));
            answers.Add(
                (
                    new IPAddress(message.AsSpan(offset + 12, 4)).ToString(),
                    BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(offset + 6))
                )
            );
            offset += 16;
        }
        return answers;
    }
}
