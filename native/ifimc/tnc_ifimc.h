/*
 * TCG TNC IF-IMC 1.3, UNIX/Linux dynamic linkage binding: the types, constants and functions an
 * IMC exports and a TNC client (TNCC) binds. Written for tnc-agent from the specification; only
 * the parts the bridge library and its test harness use. Licence: Apache-2.0.
 */
#ifndef TNC_AGENT_IFIMC_H
#define TNC_AGENT_IFIMC_H

/* IF-IMC 1.3 basic types: TNC_UInt32 is `unsigned long` in the C binding (8 bytes on LP64 Linux);
 * TNC clients built against it (strongSwan among them) pass arrays of that size, so must we. */
typedef unsigned long TNC_UInt32;
typedef unsigned char *TNC_BufferReference;

typedef TNC_UInt32 TNC_IMCID;
typedef TNC_UInt32 TNC_ConnectionID;
typedef TNC_UInt32 TNC_ConnectionState;
typedef TNC_UInt32 TNC_RetryReason;
typedef TNC_UInt32 TNC_MessageType;
typedef TNC_UInt32 TNC_VendorID;
typedef TNC_UInt32 TNC_MessageSubtype;
typedef TNC_UInt32 TNC_Version;
typedef TNC_UInt32 TNC_Result;
typedef TNC_UInt32 TNC_AttributeID;

/* Result codes */
#define TNC_RESULT_SUCCESS 0
#define TNC_RESULT_NOT_INITIALIZED 1
#define TNC_RESULT_ALREADY_INITIALIZED 2
#define TNC_RESULT_NO_COMMON_VERSION 3
#define TNC_RESULT_INVALID_PARAMETER 6
#define TNC_RESULT_CANT_RESPOND 7
#define TNC_RESULT_ILLEGAL_OPERATION 8
#define TNC_RESULT_OTHER 9
#define TNC_RESULT_FATAL 10

#define TNC_IFIMC_VERSION_1 1

/* Connection states (TNC_IMC_NotifyConnectionChange) */
#define TNC_CONNECTION_STATE_CREATE 0
#define TNC_CONNECTION_STATE_HANDSHAKE 1
#define TNC_CONNECTION_STATE_ACCESS_ALLOWED 2
#define TNC_CONNECTION_STATE_ACCESS_ISOLATED 3
#define TNC_CONNECTION_STATE_ACCESS_NONE 4
#define TNC_CONNECTION_STATE_DELETE 5

/* IDs, vendors, subtypes and flags of the long message types */
#define TNC_IMVID_ANY 0xffffUL
#define TNC_IMCID_ANY 0xffffUL
#define TNC_VENDORID_ANY 0xffffffUL
#define TNC_SUBTYPE_ANY 0xffUL
#define TNC_MESSAGE_FLAGS_EXCLUSIVE 0x80000000UL

/* Attributes an IMC may read with TNC_TNCC_GetAttribute: strings are NUL-terminated UTF-8,
 * MAX_MESSAGE_SIZE a 4-byte unsigned integer in network byte order. */
#define TNC_ATTRIBUTEID_PREFERRED_LANGUAGE 0x00000001UL
#define TNC_ATTRIBUTEID_MAX_MESSAGE_SIZE 0x00559701UL
#define TNC_ATTRIBUTEID_IFT_PROTOCOL 0x0055970cUL

/* Functions the TNCC provides; the IMC obtains them through the bind function by name. */
typedef TNC_Result (*TNC_TNCC_BindFunctionPointer)(TNC_IMCID imcID, char *functionName, void **pOutFunctionPointer);
typedef TNC_Result (*TNC_TNCC_ReportMessageTypesPointer)(TNC_IMCID imcID, TNC_MessageType *supportedTypes, TNC_UInt32 typeCount);
typedef TNC_Result (*TNC_TNCC_ReportMessageTypesLongPointer)(TNC_IMCID imcID, TNC_VendorID *supportedVendorIDs,
                                                             TNC_MessageSubtype *supportedSubtypes, TNC_UInt32 typeCount);
typedef TNC_Result (*TNC_TNCC_SendMessagePointer)(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_BufferReference message,
                                                  TNC_UInt32 messageLength, TNC_MessageType messageType);
typedef TNC_Result (*TNC_TNCC_SendMessageLongPointer)(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_UInt32 messageFlags,
                                                      TNC_BufferReference message, TNC_UInt32 messageLength,
                                                      TNC_VendorID messageVendorID, TNC_MessageSubtype messageSubtype,
                                                      TNC_UInt32 destinationIMVID);
typedef TNC_Result (*TNC_TNCC_GetAttributePointer)(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_AttributeID attributeID,
                                                   TNC_UInt32 bufferLength, TNC_BufferReference buffer, TNC_UInt32 *pOutValueLength);

typedef TNC_Result (*TNC_TNCC_RequestHandshakeRetryPointer)(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_RetryReason reason);

/* Reasons for TNC_TNCC_RequestHandshakeRetry */
#define TNC_RETRY_REASON_IMC_REMEDIATION_COMPLETE 0
#define TNC_RETRY_REASON_IMC_SERIOUS_EVENT 1
#define TNC_RETRY_REASON_IMC_INFORMATIONAL_EVENT 2
#define TNC_RETRY_REASON_IMC_PERIODIC 3

/* Functions every IMC exports (found by the TNCC with dlsym). */
TNC_Result TNC_IMC_Initialize(TNC_IMCID imcID, TNC_Version minVersion, TNC_Version maxVersion, TNC_Version *pOutActualVersion);
TNC_Result TNC_IMC_NotifyConnectionChange(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_ConnectionState newState);
TNC_Result TNC_IMC_BeginHandshake(TNC_IMCID imcID, TNC_ConnectionID connectionID);
TNC_Result TNC_IMC_ReceiveMessage(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_BufferReference message,
                                  TNC_UInt32 messageLength, TNC_MessageType messageType);
TNC_Result TNC_IMC_ReceiveMessageLong(TNC_IMCID imcID, TNC_ConnectionID connectionID, TNC_UInt32 messageFlags,
                                      TNC_BufferReference message, TNC_UInt32 messageLength, TNC_VendorID messageVendorID,
                                      TNC_MessageSubtype messageSubtype, TNC_UInt32 sourceIMVID, TNC_UInt32 destinationIMCID);
TNC_Result TNC_IMC_BatchEnding(TNC_IMCID imcID, TNC_ConnectionID connectionID);
TNC_Result TNC_IMC_Terminate(TNC_IMCID imcID);
TNC_Result TNC_IMC_ProvideBindFunction(TNC_IMCID imcID, TNC_TNCC_BindFunctionPointer bindFunction);

#endif
