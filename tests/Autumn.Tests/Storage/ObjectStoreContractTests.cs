using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Minio;
using Minio.DataModel.Args;
using Spokes.Autumn.Files;
using Spokes.Autumn.Objects;
using Spokes.Autumn.Records;
using Spokes.TestSupport;

namespace Spokes.Autumn.Tests.Storage;

/// <summary>One contract for both object stores, S3 (OpenStack Swift's S3 API) and a folder.</summary>
public abstract class ObjectStoreContractTests
{
    protected abstract IObjectStore Store { get; }

    /// <summary>Every object's raw bytes, read past the store.</summary>
    protected abstract Task<IReadOnlyList<byte[]>> RawObjectsAsync();

    private static string Key() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task An_object_reads_back_until_it_is_deleted()
    {
        var key = Key();
        byte[] data = [1, 2, 3, 4, 5];
        await Store.PutAsync(key, data, default);
        Assert.Equal(data, await Store.GetAsync(key, default));

        await Store.DeleteAsync(key, default);
        Assert.Null(await Store.GetAsync(key, default));
        await Store.DeleteAsync(key, default);
    }

    [Fact]
    public async Task A_missing_object_is_null()
    {
        Assert.Null(await Store.GetAsync(Key(), default));
    }

    [Fact]
    public async Task A_key_that_is_not_a_hash_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync("../escape", [1], default));
    }

    [Fact]
    public async Task An_upload_is_stored_as_ciphertext()
    {
        using var folder = new TemporaryFolder("spokes-autumn-pipeline");
        var records = new SqliteFileRecordStore($"Data Source={Path.Combine(folder.Path, "autumn.db")}");
        await records.MigrateAsync(default);
        var pipeline = new UploadPipeline(Options.Create(new AutumnOptions()), Store, records,
            new FileEncryption(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), new KeyedLocks(), TimeProvider.System);
        var marker = $"SPOKES-MARKER-{Guid.NewGuid():N}";

        using (var upload = await UploadPipeline.ReceiveAsync(new MemoryStream(TestFiles.TextWith(marker)), "notes.txt", 1_000_000, default))
        {
            await pipeline.StoreAsync(upload, FileTag.All["attachments"], "u1", default);
        }

        var raw = await RawObjectsAsync();
        Assert.NotEmpty(raw);
        Assert.DoesNotContain(raw, data => TestFiles.Contains(data, marker));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}

public sealed class FolderObjectStoreTests : ObjectStoreContractTests, IDisposable
{
    private readonly TemporaryFolder _folder = new("spokes-autumn-objects");

    public FolderObjectStoreTests() => Store = new FolderObjectStore(_folder.Path);

    protected override IObjectStore Store { get; }

    protected override Task<IReadOnlyList<byte[]>> RawObjectsAsync() =>
        Task.FromResult<IReadOnlyList<byte[]>>(Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList());

    public void Dispose() => _folder.Dispose();
}

public sealed class S3ObjectStoreTests : ObjectStoreContractTests, IClassFixture<SwiftS3Server>
{
    private readonly IMinioClient _client;
    private readonly string _bucket = $"autumn-{Guid.NewGuid():N}";

    public S3ObjectStoreTests(SwiftS3Server swift)
    {
        var endpoint = new Uri(swift.ConnectionString.Split(';')[0]["Endpoint=".Length..]);
        _client = new MinioClient().WithEndpoint(endpoint.Authority).WithCredentials(SwiftS3Server.AccessKey, SwiftS3Server.SecretKey).Build();
        Store = new S3ObjectStore(_client, _bucket);
    }

    protected override IObjectStore Store { get; }

    protected override async Task<IReadOnlyList<byte[]>> RawObjectsAsync()
    {
        var objects = new List<byte[]>();
        await foreach (var item in _client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_bucket).WithRecursive(true)))
        {
            using var buffer = new MemoryStream();
            await _client.GetObjectAsync(new GetObjectArgs().WithBucket(_bucket).WithObject(item.Key).WithCallbackStream((s, ct) => s.CopyToAsync(buffer, ct)));
            objects.Add(buffer.ToArray());
        }
        return objects;
    }
}
