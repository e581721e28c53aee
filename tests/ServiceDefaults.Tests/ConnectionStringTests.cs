using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Spokes.ServiceDefaults;

namespace Spokes.ServiceDefaults.Tests;

public class ConnectionStringTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void A_missing_connection_string_names_the_variable_to_set()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConnectionStrings.GetRequired(Configuration(), "redis"));
        Assert.Contains("ConnectionStrings__redis", error.Message);
    }

    [Fact]
    public void Connection_strings_are_read_by_resource_name()
    {
        Assert.Equal("127.0.0.1:6379", ConnectionStrings.GetRequired(Configuration(("ConnectionStrings:redis", "127.0.0.1:6379")), "redis"));
    }

    [Fact]
    public void Key_value_connection_strings_are_parsed_without_regard_to_key_case()
    {
        var values = ConnectionStrings.ParseKeyValues("Endpoint=http://h:9000;accesskey=a;SecretKey=s=x");
        Assert.Equal("http://h:9000", values["endpoint"]);
        Assert.Equal("a", values["AccessKey"]);
        Assert.Equal("s=x", values["secretkey"]);
    }

    [Fact]
    public void S3_settings_read_endpoint_keys_and_default_region()
    {
        var settings = S3Settings.Parse("Endpoint=https://s3.example.com:9000;AccessKey=key;SecretKey=secret");
        Assert.Equal(new Uri("https://s3.example.com:9000"), settings.Endpoint);
        Assert.Equal("key", settings.AccessKey);
        Assert.Equal("secret", settings.SecretKey);
        Assert.Equal("us-east-1", settings.Region);
        Assert.Equal("eu-west-3", S3Settings.Parse("Endpoint=http://h;AccessKey=k;SecretKey=s;Region=eu-west-3").Region);
    }

    [Theory]
    [InlineData("AccessKey=k;SecretKey=s", "Endpoint=")]
    [InlineData("Endpoint=http://h;SecretKey=s", "AccessKey=")]
    [InlineData("Endpoint=http://h;AccessKey=k", "SecretKey=")]
    [InlineData("Endpoint=ftp://h;AccessKey=k;SecretKey=s", "http://")]
    [InlineData("Endpoint=not a url;AccessKey=k;SecretKey=s", "http://")]
    public void Bad_S3_connection_strings_are_refused_with_the_reason(string connectionString, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => S3Settings.Parse(connectionString));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_message_bus_connection_string_must_be_an_amqp_uri()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:rabbitmq"] = "redis://127.0.0.1:5672";
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMessageBus("rabbitmq"));
        Assert.Contains("amqp://", error.Message);
    }

    [Fact]
    public void A_mongo_connection_string_must_name_its_database()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:mongo"] = "mongodb://127.0.0.1:27017";
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddMongoClient("mongo"));
        Assert.Contains("names no database", error.Message);
    }
}
