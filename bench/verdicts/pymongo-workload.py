"""The verdicts benchmark's second app: a small store service on pymongo (Debian's python3-pymongo).

Usage: /usr/bin/python3 pymongo-workload.py URI DBNAME LOOKUPS
Run once through the recording proxy against data seeded by bench/verdicts/store-dataset.ts.
Besides ordinary reads and writes it sends what drivers and admin pages send in real apps:
buildInfo, hello outside the handshake, serverStatus, listIndexes, distinct. The price
lookup runs LOOKUPS times (one shape with enough samples to judge its latency); the
audit upsert and insert are what a candidate with a unique index on `ref` refuses.
Prints one JSON object: how many commands of each kind the driver sent.
"""
import json
import sys

from pymongo import MongoClient, ReturnDocument, monitoring


class Counter(monitoring.CommandListener):
    def __init__(self):
        self.sent = {}

    def started(self, event):
        self.sent[event.command_name] = self.sent.get(event.command_name, 0) + 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def main():
    uri, db_name, lookups = sys.argv[1], sys.argv[2], int(sys.argv[3])
    counter = Counter()
    client = MongoClient(uri, event_listeners=[counter], serverSelectionTimeoutMS=10000)
    db = client[db_name]
    # What a service asks at start-up and a health page asks now and then.
    client.admin.command("buildInfo")
    client.admin.command("hello")
    client.admin.command("serverStatus")
    list(db.products.list_indexes())
    db.products.distinct("category")
    db.products.distinct("tags", {"active": True})
    list(db.products.find({"category": "tools", "active": True}).sort("price", -1).limit(5))
    list(db.products.find({"price": {"$lt": 20}}, {"name": 1, "price": 1}).sort("_id", 1))
    list(db.products.aggregate([{"$match": {"active": True}}, {"$group": {"_id": "$category", "n": {"$sum": 1}, "total": {"$sum": "$price"}}}, {"$sort": {"_id": 1}}]))
    db.products.count_documents({"active": True})
    for i in range(lookups):
        # The price lookup of a catalogue page: one document by sku, many times.
        db.prices.find_one({"sku": "sku-%d" % ((i * 7) % 100)})
    for i in range(5):
        db.stock.find_one_and_update({"sku": "sku-%d" % i, "qty": {"$gt": 0}}, {"$inc": {"qty": -1}}, return_document=ReturnDocument.AFTER)
    list(db.stock.find({"qty": {"$lt": 10}}).sort("sku", 1))
    # Second events for an order that already has one: refused where `ref` is unique, the
    # upsert as a command error, the insert as a write error inside an ok reply.
    db.audit.find_one_and_update({"_id": 100, "ref": "order-3"}, {"$set": {"event": "packed", "by": "store-svc"}}, upsert=True, return_document=ReturnDocument.AFTER)
    db.audit.insert_one({"ref": "order-3", "event": "shipped", "by": "store-svc"})
    list(db.audit.find({"ref": "order-3"}).sort("_id", 1))
    client.close()
    print(json.dumps(counter.sent))


main()
