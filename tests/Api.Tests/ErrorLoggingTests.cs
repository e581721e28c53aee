using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Tests;

/// <summary>
/// A refused request is the client's mistake: one line at information level, no stack. A fault of the Api
/// stays an error with its stack.
/// </summary>
[Collection(nameof(ApiCollection))]
public class ErrorLoggingTests(ApiFixture api)
{
    private sealed record Entry(string Category, LogLevel Level, string Text, Exception? Exception);

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
        }
    }

    /// <summary>A report store whose database has gone away.</summary>
    private sealed class BrokenReports : IReportStore
    {
        public Task CreateAsync(Report report, CancellationToken cancellationToken = default) => throw new IOException("disk unplugged");
    }

    [Fact]
    public async Task Client_errors_are_logged_as_information_without_a_stack_and_faults_as_errors_with_one()
    {
        var logs = new CapturedLogs();
        var factory = api.Factory.WithWebHostBuilder(web => web
            .ConfigureLogging(logging => logging.AddProvider(logs))
            .ConfigureTestServices(services => services.AddSingleton<IReportStore, BrokenReports>()));
        var owner = await OnboardedUser.CreateAsync(factory, "logged");
        var stranger = await OnboardedUser.CreateAsync(factory, "stranger");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Logs" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        logs.Entries.Clear();

        var refusals = new[]
        {
            await owner.Client.GetAsync($"/servers/{Ulid.NewUlid()}", "/servers/{target}"),
            await stranger.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { name = "Mine now" }),
            await owner.Client.PostRawAsync("/servers/create", "/servers/create", "{not json"),
        };
        Assert.All(refusals, reply => Assert.InRange((int)reply.Status, 400, 499));
        // Only the request pipeline's own entries: the Api's background work may warn of its own matters meanwhile.
        var pipeline = logs.Entries.Where(e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || e.Category == "Spokes.Api.Errors").ToList();
        Assert.DoesNotContain(pipeline, e => e.Level >= LogLevel.Warning || e.Exception is not null);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is StoatException or PermissionDeniedException or BadHttpRequestException);
        foreach (var reply in refusals)
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Text.Contains(reply.ErrorType!) && e.Text.Contains(((int)reply.Status).ToString()));

        var fault = await stranger.Client.PostAsync("/safety/report", "/safety/report",
            new { content = new { type = "Server", id = server, report_reason = "Illegal" } });
        Assert.Equal((HttpStatusCode.InternalServerError, "InternalError"), (fault.Status, fault.ErrorType));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Exception is IOException);
    }
}
