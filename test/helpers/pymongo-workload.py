"""The proxy tests' mixed workload in Python (Debian's python3-pymongo).

Usage: /usr/bin/python3 pymongo-workload.py URI DBNAME
Prints one JSON object: the results (relaxed Extended JSON) and the commands the
driver reported sending (request id and name), for comparison with the capture.
"""
import json
import sys

from bson import json_util
from pymongo import MongoClient, ReturnDocument, monitoring
from pymongo.errors import OperationFailure, DuplicateKeyError


class Started(monitoring.CommandListener):
    def __init__(self):
        self.events = []

    def started(self, event):
        self.events.append([event.request_id, event.command_name])

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def main():
    uri, db_name = sys.argv[1], sys.argv[2]
    listener = Started()
    client = MongoClient(uri, event_listeners=[listener], serverSelectionTimeoutMS=10000)
    db = client[db_name]
    c = db.jobs
    out = []
    docs = [{"_id": i, "state": "pending" if i % 3 == 0 else "done", "priority": i % 5, "tags": ["a", "t%d" % (i % 4)]} for i in range(30)]
    out.append(c.insert_many(docs).inserted_ids)
    out.append(list(c.find({}, batch_size=5).sort("_id", 1)))
    out.append(list(c.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}])))
    out.append(c.find_one_and_update({"state": "pending"}, {"$set": {"state": "running"}}, sort=[("priority", -1), ("_id", 1)], return_document=ReturnDocument.AFTER))
    r = c.update_many({"_id": {"$gte": 28}}, {"$set": {"touched": True}}, upsert=True)
    out.append([r.matched_count, r.modified_count, r.upserted_id])
    r = c.update_many({"_id": 99}, {"$set": {"touched": True}}, upsert=True)
    out.append([r.matched_count, r.modified_count, r.upserted_id])
    out.append(c.delete_many({"state": "done", "priority": 0}).deleted_count)
    out.append(c.create_index([("priority", 1)]))
    out.append(c.count_documents({}))
    try:
        c.insert_one({"_id": 1})
    except DuplicateKeyError as e:
        out.append({"error": e.code})
    try:
        db.command({"noSuchCommandHere": 1})
    except OperationFailure as e:
        out.append({"error": e.code})
    db.client.drop_database(db_name)
    client.close()
    print(json.dumps({"results": json.loads(json_util.dumps(out)), "started": listener.events}))


main()
