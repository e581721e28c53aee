using System.Text.Json;
using Spokes.Api.Configuration;

namespace Spokes.Api;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        builder.Services.AddSingleton<RootConfigurationFactory>();

        // Stoat's wire format is snake_case throughout.
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);

        builder.AddRedisClient("redis");
        builder.AddMessageBus("rabbitmq");
        return builder;
    }
}
