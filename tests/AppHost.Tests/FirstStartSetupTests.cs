using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Spokes.AppHost.Containers;
using Spokes.AppHost.Suite;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>The network answers of the setup, as the AppHost reads them from the data folder when it starts.</summary>
public class FirstStartSetupTests
{
    [Fact]
    public void The_saved_network_is_read_from_the_settings_and_a_setup_file_is_not_applied_again()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(Path.Combine(folder.Path, "setup.json"), """
            {"completed": true, "network": {"publicUrl": "https://chat.example.org", "liveKitTcpPort": 7882, "liveKitUdpStart": 51000, "liveKitUdpEnd": 51099}}
            """);
        var file = Path.Combine(folder.Path, "answers.json");
        File.WriteAllText(file, """{"publicUrl": "https://ignored.example.org"}""");

        foreach (var setup in new[] { FirstStartSetup.For(folder.Path, null), FirstStartSetup.For(folder.Path, file) })
        {
            Assert.Null(setup.Code);
            Assert.Equal(new FirstStartSetup.NetworkAnswers("https://chat.example.org", 7882, new PortRange(51000, 51099)), setup.Network);
        }
    }

    [Fact]
    public void A_setup_file_answers_the_first_start_and_what_it_leaves_out_stays_with_the_options()
    {
        using var folder = new TemporaryFolder();
        var file = Path.Combine(folder.Path, "answers.json");
        File.WriteAllText(file, """{"acceptEula": true, "publicUrl": "http://chat.example.org:8080/", "network": {"livekitUdpStart": 40000, "livekitUdpEnd": 40099}}""");
        Assert.Equal(new FirstStartSetup.NetworkAnswers("http://chat.example.org:8080", null, new PortRange(40000, 40099)), FirstStartSetup.For(folder.Path, file).Network);

        File.WriteAllText(file, """{"acceptEula": true, "serverName": "No URL"}""");
        Assert.Equal(new FirstStartSetup.NetworkAnswers(null, null, null), FirstStartSetup.For(folder.Path, file).Network);
    }

    [Fact]
    public void A_fresh_folder_gets_a_setup_code_and_no_network_answers()
    {
        using var folder = new TemporaryFolder();
        var setup = FirstStartSetup.For(folder.Path, null);
        Assert.Matches("^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$", setup.Code);
        Assert.Equal(new FirstStartSetup.NetworkAnswers(null, null, null), setup.Network);
    }

    [Fact]
    public void The_livekit_container_listens_on_the_chosen_tcp_port_and_udp_range()
    {
        var builder = DistributedApplication.CreateBuilder();
        var secret = builder.AddParameter("livekit-api-secret", "a secret", secret: true);
        var livekit = builder.AddLiveKitContainer("livekit", secret, new PortRange(51000, 51099), 7882).Container!.Resource;
        Assert.Equal(7882, livekit.RtcTcpPort);
        Assert.Equal(new PortRange(51000, 51099), livekit.UdpPorts);
        var rtc = livekit.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "rtc-tcp");
        Assert.Equal((7882, 7882), (rtc.Port, rtc.TargetPort));
    }
}
