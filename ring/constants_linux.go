package ring

// Values below are copied by hand from the kernel uapi header
// include/uapi/linux/io_uring.h; the kernel only ever appends to these lists.

// Setup flags (io_uring_params.flags), IORING_SETUP_*.
const (
	SetupIOPoll           = 1 << 0  // IORING_SETUP_IOPOLL
	SetupSQPoll           = 1 << 1  // IORING_SETUP_SQPOLL
	SetupSQAff            = 1 << 2  // IORING_SETUP_SQ_AFF
	SetupCQSize           = 1 << 3  // IORING_SETUP_CQSIZE
	SetupClamp            = 1 << 4  // IORING_SETUP_CLAMP
	SetupAttachWQ         = 1 << 5  // IORING_SETUP_ATTACH_WQ
	SetupRDisabled        = 1 << 6  // IORING_SETUP_R_DISABLED
	SetupSubmitAll        = 1 << 7  // IORING_SETUP_SUBMIT_ALL
	SetupCoopTaskrun      = 1 << 8  // IORING_SETUP_COOP_TASKRUN
	SetupTaskrunFlag      = 1 << 9  // IORING_SETUP_TASKRUN_FLAG
	SetupSQE128           = 1 << 10 // IORING_SETUP_SQE128 (not supported by this package)
	SetupCQE32            = 1 << 11 // IORING_SETUP_CQE32 (not supported by this package)
	SetupSingleIssuer     = 1 << 12 // IORING_SETUP_SINGLE_ISSUER
	SetupDeferTaskrun     = 1 << 13 // IORING_SETUP_DEFER_TASKRUN
	SetupNoMmap           = 1 << 14 // IORING_SETUP_NO_MMAP (not supported by this package)
	SetupRegisteredFdOnly = 1 << 15 // IORING_SETUP_REGISTERED_FD_ONLY (not supported by this package)
	SetupNoSQArray        = 1 << 16 // IORING_SETUP_NO_SQARRAY
)

// setupUnsupported are the setup flags this package refuses: they change the
// SQE/CQE size or the way the rings are mapped.
const setupUnsupported = SetupSQE128 | SetupCQE32 | SetupNoMmap | SetupRegisteredFdOnly

// Feature flags (io_uring_params.features), IORING_FEAT_*.
const (
	FeatSingleMmap     = 1 << 0  // IORING_FEAT_SINGLE_MMAP
	FeatNoDrop         = 1 << 1  // IORING_FEAT_NODROP
	FeatSubmitStable   = 1 << 2  // IORING_FEAT_SUBMIT_STABLE
	FeatRWCurPos       = 1 << 3  // IORING_FEAT_RW_CUR_POS
	FeatCurPersonality = 1 << 4  // IORING_FEAT_CUR_PERSONALITY
	FeatFastPoll       = 1 << 5  // IORING_FEAT_FAST_POLL
	FeatPoll32Bits     = 1 << 6  // IORING_FEAT_POLL_32BITS
	FeatSQPollNonfixed = 1 << 7  // IORING_FEAT_SQPOLL_NONFIXED
	FeatExtArg         = 1 << 8  // IORING_FEAT_EXT_ARG
	FeatNativeWorkers  = 1 << 9  // IORING_FEAT_NATIVE_WORKERS
	FeatRsrcTags       = 1 << 10 // IORING_FEAT_RSRC_TAGS
	FeatCQESkip        = 1 << 11 // IORING_FEAT_CQE_SKIP
	FeatLinkedFile     = 1 << 12 // IORING_FEAT_LINKED_FILE
	FeatRegRegRing     = 1 << 13 // IORING_FEAT_REG_REG_RING
)

// SQE flags (SQE.Flags), IOSQE_*.
const (
	SQEFixedFile      = 1 << 0 // IOSQE_FIXED_FILE: Fd is an index into the registered files
	SQEIODrain        = 1 << 1 // IOSQE_IO_DRAIN
	SQEIOLink         = 1 << 2 // IOSQE_IO_LINK: the next SQE starts when this one succeeds
	SQEIOHardlink     = 1 << 3 // IOSQE_IO_HARDLINK
	SQEAsync          = 1 << 4 // IOSQE_ASYNC: always punt to an io-wq worker
	SQEBufferSelect   = 1 << 5 // IOSQE_BUFFER_SELECT: pick a buffer from group BufIndex
	SQECQESkipSuccess = 1 << 6 // IOSQE_CQE_SKIP_SUCCESS
)

// Opcodes (SQE.Opcode), enum io_uring_op.
const (
	OpNop            = 0
	OpReadv          = 1
	OpWritev         = 2
	OpFsync          = 3
	OpReadFixed      = 4
	OpWriteFixed     = 5
	OpPollAdd        = 6
	OpPollRemove     = 7
	OpSyncFileRange  = 8
	OpSendmsg        = 9
	OpRecvmsg        = 10
	OpTimeout        = 11
	OpTimeoutRemove  = 12
	OpAccept         = 13
	OpAsyncCancel    = 14
	OpLinkTimeout    = 15
	OpConnect        = 16
	OpFallocate      = 17
	OpOpenat         = 18
	OpClose          = 19
	OpFilesUpdate    = 20
	OpStatx          = 21
	OpRead           = 22
	OpWrite          = 23
	OpFadvise        = 24
	OpMadvise        = 25
	OpSend           = 26
	OpRecv           = 27
	OpOpenat2        = 28
	OpEpollCtl       = 29
	OpSplice         = 30
	OpProvideBuffers = 31
	OpRemoveBuffers  = 32
	OpTee            = 33
	OpShutdown       = 34
	OpRenameat       = 35
	OpUnlinkat       = 36
	OpMkdirat        = 37
	OpSymlinkat      = 38
	OpLinkat         = 39
	OpMsgRing        = 40
	OpFsetxattr      = 41
	OpSetxattr       = 42
	OpFgetxattr      = 43
	OpGetxattr       = 44
	OpSocket         = 45
	OpUringCmd       = 46
	OpSendZC         = 47
	OpSendmsgZC      = 48
	OpReadMultishot  = 49
	OpWaitid         = 50
	OpFutexWait      = 51
	OpFutexWake      = 52
	OpFutexWaitv     = 53
)

// io_uring_enter(2) flags, IORING_ENTER_*.
const (
	EnterGetEvents      = 1 << 0 // IORING_ENTER_GETEVENTS
	EnterSQWakeup       = 1 << 1 // IORING_ENTER_SQ_WAKEUP
	EnterSQWait         = 1 << 2 // IORING_ENTER_SQ_WAIT
	EnterExtArg         = 1 << 3 // IORING_ENTER_EXT_ARG
	EnterRegisteredRing = 1 << 4 // IORING_ENTER_REGISTERED_RING
)

// SQ ring flags (SQFlags), IORING_SQ_*.
const (
	SQNeedWakeup = 1 << 0 // IORING_SQ_NEED_WAKEUP: the SQPOLL thread sleeps
	SQCQOverflow = 1 << 1 // IORING_SQ_CQ_OVERFLOW: completions wait in the kernel's overflow list
	SQTaskrun    = 1 << 2 // IORING_SQ_TASKRUN: task work waits for an io_uring_enter
)

// CQ ring flags, IORING_CQ_*.
const (
	CQEventFDDisabled = 1 << 0 // IORING_CQ_EVENTFD_DISABLED
)

// CQE flags (CQE.Flags), IORING_CQE_F_*.
const (
	CQEFBuffer       = 1 << 0 // IORING_CQE_F_BUFFER: BufferID is valid
	CQEFMore         = 1 << 1 // IORING_CQE_F_MORE: the request will post more CQEs
	CQEFSockNonempty = 1 << 2 // IORING_CQE_F_SOCK_NONEMPTY: more data to read
	CQEFNotif        = 1 << 3 // IORING_CQE_F_NOTIF: zero-copy notification
	CQEBufferShift   = 16     // IORING_CQE_BUFFER_SHIFT
)

// Timeout flags (PrepTimeout, PrepLinkTimeout), IORING_TIMEOUT_*.
const (
	TimeoutAbs          = 1 << 0 // IORING_TIMEOUT_ABS
	TimeoutUpdate       = 1 << 1 // IORING_TIMEOUT_UPDATE
	TimeoutBoottime     = 1 << 2 // IORING_TIMEOUT_BOOTTIME
	TimeoutRealtime     = 1 << 3 // IORING_TIMEOUT_REALTIME
	LinkTimeoutUpdate   = 1 << 4 // IORING_LINK_TIMEOUT_UPDATE
	TimeoutETimeSuccess = 1 << 5 // IORING_TIMEOUT_ETIME_SUCCESS
	TimeoutMultishot    = 1 << 6 // IORING_TIMEOUT_MULTISHOT
)

// Poll flags, stored in SQE.Len for OpPollAdd/OpPollRemove, IORING_POLL_*.
const (
	PollAddMulti       = 1 << 0 // IORING_POLL_ADD_MULTI
	PollUpdateEvents   = 1 << 1 // IORING_POLL_UPDATE_EVENTS
	PollUpdateUserData = 1 << 2 // IORING_POLL_UPDATE_USER_DATA
	PollAddLevel       = 1 << 3 // IORING_POLL_ADD_LEVEL
)

// Cancel flags (PrepCancel, PrepCancel64, PrepCancelFd), IORING_ASYNC_CANCEL_*.
const (
	AsyncCancelAll      = 1 << 0 // IORING_ASYNC_CANCEL_ALL: every match, not the first
	AsyncCancelFd       = 1 << 1 // IORING_ASYNC_CANCEL_FD: match on fd, not user_data
	AsyncCancelAny      = 1 << 2 // IORING_ASYNC_CANCEL_ANY: match any request
	AsyncCancelFdFixed  = 1 << 3 // IORING_ASYNC_CANCEL_FD_FIXED
	AsyncCancelUserdata = 1 << 4 // IORING_ASYNC_CANCEL_USERDATA
	AsyncCancelOp       = 1 << 5 // IORING_ASYNC_CANCEL_OP
)

// Send/recv flags, stored in SQE.IoPrio, IORING_RECVSEND_* and friends.
const (
	RecvsendPollFirst = 1 << 0 // IORING_RECVSEND_POLL_FIRST
	RecvMultishot     = 1 << 1 // IORING_RECV_MULTISHOT
	RecvsendFixedBuf  = 1 << 2 // IORING_RECVSEND_FIXED_BUF
	SendZCReportUsage = 1 << 3 // IORING_SEND_ZC_REPORT_USAGE

	// NotifUsageZCCopied is set in the Res of a CQEFNotif CQE when
	// SendZCReportUsage was asked for and the data was copied after all.
	NotifUsageZCCopied = 1 << 31 // IORING_NOTIF_USAGE_ZC_COPIED
)

// AcceptMultishot is the accept flag stored in SQE.IoPrio (IORING_ACCEPT_MULTISHOT).
const AcceptMultishot = 1 << 0

// FileIndexAlloc asks accept/openat to allocate a direct descriptor
// (IORING_FILE_INDEX_ALLOC).
const FileIndexAlloc = ^uint32(0)

// RegisterFilesSkip leaves a slot unchanged in RegisterFilesUpdate
// (IORING_REGISTER_FILES_SKIP).
const RegisterFilesSkip = -2

// io_uring_register(2) opcodes, IORING_REGISTER_*.
const (
	regRegisterFiles     = 2
	regUnregisterFiles   = 3
	regRegisterEventFD   = 4
	regUnregisterEventFD = 5
	regFilesUpdate       = 6
	regEventFDAsync      = 7
	regProbe             = 8
	regRingFds           = 20
	regUnregisterRingFds = 21
	regPbufRing          = 22
	regUnregisterPbuf    = 23
)

// mmap offsets, IORING_OFF_*.
const (
	offSQRing = 0          // IORING_OFF_SQ_RING (also the CQ ring with FeatSingleMmap)
	offSQEs   = 0x10000000 // IORING_OFF_SQES
)

// opSupported is IO_URING_OP_SUPPORTED in io_uring_probe_op.flags.
const opSupported = 1 << 0
